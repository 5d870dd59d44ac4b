"""The demo's suppliers: cooperatives, enterprises, family farms and two trading agents in the five poverty
counties, 45 admitted and a few still waiting (so the finance and operator home pages have work)."""

from dataclasses import dataclass
from datetime import datetime

from accounts.demo import names
from accounts.demo.regions import county_named
from accounts.models import SupplierKind, SupplierStatus

_K = SupplierKind
_S = SupplierStatus

#: GB 32100 registration authority and kind: 91 enterprise, 92 individual business (most family farms
#: register as one), 93 farmers' professional cooperative.
_CREDIT_KIND = {_K.enterprise: "91", _K.agent: "91", _K.family_farm: "92", _K.coop: "93"}

#: Suppliers' credit codes are numbered apart from the budget units' (which use serials below 10,000).
_SERIAL_BASE = 50_000

#: (county, name, kind, status): the first is the demo supplier. Local specialities: 临县 and 石楼 jujubes,
#: 岚县 potatoes and linseed oil, 方山 millet and walnuts, 兴县 millet, mutton and sea-buckthorn.
SUPPLIERS: tuple[tuple[str, str, SupplierKind, SupplierStatus], ...] = (
    ("兴县", "兴县黄河红枣专业合作社", _K.coop, _S.admitted),
    ("兴县", "兴县蔚汾镇小米种植专业合作社", _K.coop, _S.admitted),
    ("兴县", "兴县晋绥杂粮开发有限公司", _K.enterprise, _S.admitted),
    ("兴县", "兴县蔡家崖乡肉羊养殖专业合作社", _K.coop, _S.admitted),
    ("兴县", "兴县沙棘食品有限公司", _K.enterprise, _S.admitted),
    ("兴县", "兴县高家村镇刘家庄家庭农场", _K.family_farm, _S.admitted),
    ("兴县", "兴县康宁镇马铃薯种植专业合作社", _K.coop, _S.admitted),
    ("兴县", "兴县东会乡核桃种植专业合作社", _K.coop, _S.admitted),
    ("兴县", "兴县农特产品供销有限公司", _K.agent, _S.admitted),
    ("兴县", "兴县魏家滩镇土鸡养殖家庭农场", _K.family_farm, _S.applied),
    ("临县", "临县碛口红枣专业合作社", _K.coop, _S.admitted),
    ("临县", "临县核桃种植专业合作社", _K.coop, _S.admitted),
    ("临县", "临县枣业食品有限公司", _K.enterprise, _S.admitted),
    ("临县", "临县白文镇小杂粮专业合作社", _K.coop, _S.admitted),
    ("临县", "临县三交镇王家塔家庭农场", _K.family_farm, _S.admitted),
    ("临县", "临县湍水头镇生猪养殖专业合作社", _K.coop, _S.admitted),
    ("临县", "临县林家坪镇粉条加工专业合作社", _K.coop, _S.admitted),
    ("临县", "临县兔坂镇张家坪家庭农场", _K.family_farm, _S.admitted),
    ("临县", "临县城庄镇蔬菜种植专业合作社", _K.coop, _S.admitted),
    ("临县", "临县招贤镇杂粮种植专业合作社", _K.coop, _S.recommended),
    ("石楼县", "石楼县黄河红枣专业合作社", _K.coop, _S.admitted),
    ("石楼县", "石楼县小米种植专业合作社", _K.coop, _S.admitted),
    ("石楼县", "石楼县罗村镇肉牛养殖专业合作社", _K.coop, _S.admitted),
    ("石楼县", "石楼县义牒镇张家河家庭农场", _K.family_farm, _S.admitted),
    ("石楼县", "石楼县灵泉镇核桃种植专业合作社", _K.coop, _S.admitted),
    ("石楼县", "石楼县晋西农产品有限公司", _K.enterprise, _S.admitted),
    ("石楼县", "石楼县小蒜镇马铃薯种植专业合作社", _K.coop, _S.admitted),
    ("石楼县", "石楼县和合乡养蜂专业合作社", _K.coop, _S.admitted),
    ("石楼县", "石楼县裴沟乡梁家庄家庭农场", _K.family_farm, _S.admitted),
    ("石楼县", "石楼县前山乡杂粮专业合作社", _K.coop, _S.applied),
    ("岚县", "岚县马铃薯种植专业合作社", _K.coop, _S.admitted),
    ("岚县", "岚县土豆宴食品有限公司", _K.enterprise, _S.admitted),
    ("岚县", "岚县胡麻油加工专业合作社", _K.coop, _S.admitted),
    ("岚县", "岚县东村镇燕麦种植专业合作社", _K.coop, _S.admitted),
    ("岚县", "岚县普明镇肉羊养殖专业合作社", _K.coop, _S.admitted),
    ("岚县", "岚县界河口镇王家庄家庭农场", _K.family_farm, _S.admitted),
    ("岚县", "岚县上明乡蔬菜种植专业合作社", _K.coop, _S.admitted),
    ("岚县", "岚县顺会乡莜面加工有限公司", _K.enterprise, _S.admitted),
    ("岚县", "岚县农产品电子商务有限公司", _K.agent, _S.admitted),
    ("岚县", "岚县梁家庄乡蛋鸡养殖专业合作社", _K.coop, _S.recommended),
    ("方山县", "方山县小米种植专业合作社", _K.coop, _S.admitted),
    ("方山县", "方山县核桃种植专业合作社", _K.coop, _S.admitted),
    ("方山县", "方山县北武当山杂粮有限公司", _K.enterprise, _S.admitted),
    ("方山县", "方山县大武镇黄芪种植专业合作社", _K.coop, _S.admitted),
    ("方山县", "方山县峪口镇肉牛养殖专业合作社", _K.coop, _S.admitted),
    ("方山县", "方山县马坊镇刘家沟家庭农场", _K.family_farm, _S.admitted),
    ("方山县", "方山县圪洞镇蔬菜种植专业合作社", _K.coop, _S.admitted),
    ("方山县", "方山县积翠乡土蜂蜜专业合作社", _K.coop, _S.admitted),
    ("方山县", "方山县开府乡李家坪家庭农场", _K.family_farm, _S.admitted),
    ("方山县", "方山县杨家会乡中药材种植专业合作社", _K.coop, _S.applied),
)

_BANKS = (
    "中国农业银行{c}支行",
    "山西{c}农村商业银行",
    "中国邮政储蓄银行{c}支行",
    "中国建设银行{c}支行",
    "中国工商银行{c}支行",
)

#: Applications still waiting arrived in the last weeks of the roll-out.
_RECENT = datetime(2021, 11, 1)


@dataclass(frozen=True)
class SupplierPlan:
    name: str
    kind: SupplierKind
    status: SupplierStatus
    county_code: str
    credit_code: str
    contact_name: str
    contact_phone: str
    bank_name: str
    bank_account: str
    households: int
    applied_at: datetime
    recommended_at: datetime | None
    admitted_at: datetime | None
    username: str


def plan_suppliers(demo_username: str) -> list[SupplierPlan]:
    """Every demo supplier with its login (the first one's is ``demo_username``)."""
    plans = []
    for index, (county_name, name, kind, status) in enumerate(SUPPLIERS):
        county = county_named(county_name)
        waiting = status != SupplierStatus.admitted
        applied = names.moment("applied", name, start=_RECENT, days=30) if waiting else names.moment(name)
        recommended = None if status == SupplierStatus.applied else names.later(applied, "recommend", name)
        admitted = names.later(recommended, "admit", name) if status == SupplierStatus.admitted else None
        plans.append(
            SupplierPlan(
                name=name,
                kind=kind,
                status=status,
                county_code=county.code,
                credit_code=names.credit_code(_CREDIT_KIND[kind], county.code, _SERIAL_BASE + index),
                contact_name=names.person_name("contact", name),
                contact_phone=names.mobile("contact", name),
                bank_name=_BANKS[names.mix("bank", name) % len(_BANKS)].format(c=county.name),
                bank_account="0" + names.digits(16, "account", name),
                # A family farm employs a handful of households, a cooperative or company dozens to hundreds.
                households=(
                    3 + names.mix("households", name) % 10
                    if kind == SupplierKind.family_farm
                    else 20 + names.mix("households", name) % 260
                ),
                applied_at=applied,
                recommended_at=recommended,
                admitted_at=admitted,
                username=demo_username if index == 0 else f"gys{index + 1:03d}",
            )
        )
    return plans
