"""Forms for regions and budget units. They parse input; the services check the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from accounts.labels import label
from accounts.models import RegionLevel
from accounts.units.rules import UnitFacts


class RegionForm(FlaskForm):
    code = StringField(_l("Region code"), validators=[DataRequired(), Length(max=6)])
    name = StringField(_l("Region name"), validators=[DataRequired(), Length(max=64)])
    # Not checked here: the service refuses an unknown level with a message naming the field.
    level = SelectField(_l("Level"), validate_choice=False)
    parent_code = StringField(_l("Parent region code"), validators=[Optional(), Length(max=6)])
    poverty = BooleanField(_l("Poverty county"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = [(level.value, label(level)) for level in RegionLevel]


class UnitForm(FlaskForm):
    """A new budget unit and its manager account. Field names are the import's column names."""

    code = StringField(_l("Unit code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=128)])
    credit_code = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=32)])
    region_code = SelectField(_l("Region"), validate_choice=False)
    parent_code = StringField(_l("Supervising unit code"), validators=[Optional(), Length(max=32)])
    manager_username = StringField(_l("Manager's username"), validators=[DataRequired(), Length(max=64)])
    manager_name = StringField(_l("Manager's name"), validators=[DataRequired(), Length(max=64)])
    manager_phone = StringField(_l("Manager's phone"), validators=[Optional(), Length(max=20)])

    def facts(self) -> UnitFacts:
        return UnitFacts(
            code=self.code.data,
            name=self.name.data,
            credit_code=self.credit_code.data,
            region_code=self.region_code.data or "",
            parent_code=self.parent_code.data or "",
            manager_username=self.manager_username.data,
            manager_name=self.manager_name.data,
            manager_phone=self.manager_phone.data or "",
        )
