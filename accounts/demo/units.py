"""The demo city's 1,906 budget units and their accounts, planned as plain data (no database here).

Unit codes follow the usual budget coding: the region code, a three-digit department number (101… for
departments, 201… for township governments) and a three-digit number of the unit within the department
(000 for the department itself), e.g. ``141100113000`` 吕梁市教育局, ``141100113001`` 吕梁市高级中学.
"""

from dataclasses import dataclass, replace

from accounts.demo import names
from accounts.demo.departments import CITY_DEPARTMENTS, COUNTY_DEPARTMENTS, Node, agency, inst, size
from accounts.demo.regions import CITY, COUNTIES, County

#: The city report's figures (DESIGN.md): budget units, and purchaser accounts opened and activated.
UNIT_COUNT = 1906
PURCHASER_COUNT = 1968

#: The supervising unit whose manager is the demo manager.
DEMO_UNIT_NAME = "吕梁市教育局"


@dataclass(frozen=True)
class UnitPlan:
    code: str
    name: str
    #: The first two characters of its credit code: "11" agency, "12" public institution.
    kind: str
    region_code: str
    parent_code: str | None
    #: 1 for a department (no supervising unit), 2 for the units it supervises, 3 below those.
    depth: int
    big: bool


def _formatted(node: Node, **fields: str) -> Node:
    return replace(
        node,
        name=node.name.format(**fields),
        children=tuple(_formatted(child, **fields) for child in node.children),
    )


def _township_units(county: County) -> tuple[list[Node], list[Node], list[Node]]:
    """Each township's government (a department of its own), and the schools and clinics that the county's
    education and health departments supervise there."""
    governments, schools, clinics = [], [], []
    for township in county.townships:
        place = county.name + township
        if township.endswith("街道"):
            governments.append(agency(f"{place}办事处"))
            clinics.append(inst(f"{place}社区卫生服务中心"))
            continue
        governments.append(agency(f"{place}人民政府"))
        clinics.append(inst(f"{place}卫生院"))
        if township.endswith("镇"):
            # A town's central school runs the town's kindergarten: a third level in the tree.
            schools.append(inst(f"{place}中心学校", f"{place}中心幼儿园"))
            schools.append(inst(f"{place}初级中学"))
        else:
            schools.append(inst(f"{place}中心学校"))
    return governments, schools, clinics


def _town_schools(county: County, count: int) -> list[Node]:
    """``count`` more schools in the county town, alternately primary schools (from 第三小学 on: the
    template has the first two) and kindergartens (from 第一幼儿园 on)."""
    return [
        inst(f"{county.name}第{names.chinese_number(3 + i // 2)}小学")
        if i % 2 == 0
        else inst(f"{county.name}第{names.chinese_number(1 + i // 2)}幼儿园")
        for i in range(count)
    ]


def _county_tree(county: County, extra_schools: int) -> tuple[list[Node], list[Node]]:
    governments, schools, clinics = _township_units(county)
    departments = []
    for template in COUNTY_DEPARTMENTS:
        department = _formatted(template, c=county.name, p=county.party)
        if department.key == "education":
            added = (*_town_schools(county, extra_schools), *schools)
            department = replace(department, children=department.children + added)
        elif department.key == "health":
            department = replace(department, children=department.children + tuple(clinics))
        departments.append(department)
    return departments, governments


def _planned(region_code: str, first_number: int, departments: list[Node]) -> list[UnitPlan]:
    plans = []
    for number, department in enumerate(departments, start=first_number):
        prefix = f"{region_code}{number:03d}"
        serial = iter(range(1, 1000))

        def visit(
            node: Node, code: str, parent: str | None, depth: int, prefix=prefix, serial=serial
        ) -> None:
            plans.append(UnitPlan(code, node.name, node.kind, region_code, parent, depth, node.big))
            for child in node.children:
                visit(child, f"{prefix}{next(serial):03d}", code, depth + 1)

        visit(department, f"{prefix}000", None, 1)
    return plans


def _base_size(county: County) -> int:
    governments, schools, clinics = _township_units(county)
    return size(COUNTY_DEPARTMENTS) + size(tuple(governments + schools + clinics))


def plan_units() -> list[UnitPlan]:
    """Every demo budget unit, supervising units before the units they supervise, exactly ``UNIT_COUNT``.

    The city's departments and every county's departments and townships come from the templates; the
    county towns' numbered schools make up the difference to ``UNIT_COUNT``, spread over the counties.
    """
    missing = UNIT_COUNT - size(CITY_DEPARTMENTS) - sum(_base_size(county) for county in COUNTIES)
    if missing < 0:
        raise ValueError(f"the demo templates hold {-missing} units more than {UNIT_COUNT}")
    share, rest = divmod(missing, len(COUNTIES))
    plans = _planned(CITY[0], 101, list(CITY_DEPARTMENTS))
    for index, county in enumerate(COUNTIES):
        departments, governments = _county_tree(county, share + (index < rest))
        plans += _planned(county.code, 101, departments)
        plans += _planned(county.code, 201, governments)
    assert len(plans) == UNIT_COUNT
    return plans


@dataclass(frozen=True)
class AccountPlan:
    username: str
    name: str
    phone: str
    unit_code: str
    is_manager: bool


def plan_unit_accounts(units: list[UnitPlan], demo_manager: str, demo_purchaser: str) -> list[AccountPlan]:
    """One manager and one purchaser per unit, and ``PURCHASER_COUNT - UNIT_COUNT`` further purchasers
    given in turn to the big units (hospitals, large schools). The demo unit's manager and first purchaser
    get the demo usernames."""
    big = [unit for unit in units if unit.big]
    purchasers_of = {unit.code: 1 for unit in units}
    for extra in range(PURCHASER_COUNT - len(units)):
        purchasers_of[big[extra % len(big)].code] += 1
    demo_code = next(unit.code for unit in units if unit.name == DEMO_UNIT_NAME)
    accounts = []
    for unit in units:
        manager = demo_manager if unit.code == demo_code else f"gl{unit.code}"
        accounts.append(
            AccountPlan(manager, names.person_name(manager), names.mobile(manager), unit.code, True)
        )
        for number in range(1, purchasers_of[unit.code] + 1):
            username = f"cg{unit.code}" + (f"-{number}" if number > 1 else "")
            if unit.code == demo_code and number == 1:
                username = demo_purchaser
            accounts.append(
                AccountPlan(username, names.person_name(username), names.mobile(username), unit.code, False)
            )
    return accounts
