"""The demo city's budget-unit tree as templates: the city's departments with their subordinate units, and
the departments every county has (``{c}`` is the county's name, ``{p}`` the stem of its Party committee).

A department is a first-level budget unit (no supervising unit); its children are the units it supervises.
``units.plan_units`` expands these, adds each township's government, school and clinic, and numbers them.
"""

from dataclasses import dataclass

#: GB 32100 registration authority and kind, the first two characters of a unified social credit code.
AGENCY = "11"  # 机构编制 / 机关
INSTITUTION = "12"  # 机构编制 / 事业单位


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    children: tuple["Node", ...] = ()
    #: A large unit (hospital, big school): it gets more than one purchaser account.
    big: bool = False
    #: Marks the department that supervises the townships' units ("education", "health").
    key: str = ""


def _nodes(children) -> tuple[Node, ...]:
    # A bare name among the children is a public institution: most subordinate units are.
    return tuple(child if isinstance(child, Node) else Node(child, INSTITUTION) for child in children)


def agency(name: str, *children, key: str = "") -> Node:
    return Node(name, AGENCY, _nodes(children), key=key)


def inst(name: str, *children, big: bool = False, key: str = "") -> Node:
    return Node(name, INSTITUTION, _nodes(children), big=big, key=key)


CITY_DEPARTMENTS: tuple[Node, ...] = (
    agency("中共吕梁市委办公室", "吕梁市档案馆", "吕梁市委机关后勤服务中心"),
    agency("中共吕梁市委组织部", "吕梁市干部教育培训中心", "吕梁市党员教育中心"),
    agency("中共吕梁市委宣传部", "吕梁市新时代文明实践指导中心", "吕梁市网络舆情信息中心"),
    agency("中共吕梁市委统一战线工作部", "吕梁市民族宗教事务服务中心"),
    agency("中共吕梁市委政法委员会", "吕梁市社会治安综合治理中心"),
    agency("中共吕梁市委机构编制委员会办公室", "吕梁市机构编制信息中心"),
    inst("中共吕梁市委党校"),
    agency("吕梁市纪委监委", "吕梁市纪检监察信息中心"),
    agency("吕梁市人大常委会办公室", "吕梁市人大常委会机关服务中心"),
    agency("政协吕梁市委员会办公室", "政协吕梁市委员会机关服务中心"),
    agency("吕梁市人民政府办公室", "吕梁市政务信息中心", "吕梁市人民政府驻太原联络处"),
    agency("吕梁市发展和改革委员会", "吕梁市价格认证中心", "吕梁市粮食和物资储备中心", "吕梁市项目推进中心"),
    agency(
        "吕梁市教育局",
        inst("吕梁市高级中学", big=True),
        inst("吕梁市第一中学", big=True),
        "吕梁市第二中学",
        "吕梁市实验中学",
        "吕梁市育英中学",
        inst("吕梁市实验小学", "吕梁市实验小学东校区"),
        "吕梁市第一小学",
        "吕梁市第二小学",
        "吕梁市特殊教育学校",
        "吕梁市卫生学校",
        "吕梁市财贸学校",
        "吕梁市机关幼儿园",
        "吕梁市实验幼儿园",
        "吕梁市教育科学研究所",
        "吕梁市电化教育馆",
        "吕梁市招生考试中心",
        "吕梁市学生资助管理中心",
    ),
    agency("吕梁市科学技术局", "吕梁市科技情报研究所", "吕梁市生产力促进中心"),
    agency("吕梁市工业和信息化局", "吕梁市中小企业服务中心", "吕梁市工业经济运行监测中心"),
    agency(
        "吕梁市公安局",
        agency("吕梁市公安局交通警察支队"),
        agency("吕梁市公安局特警支队"),
        agency("吕梁市公安局离石分局"),
        agency("吕梁市公安局开发区分局"),
        agency("吕梁市看守所"),
        agency("吕梁市拘留所"),
        "吕梁市公安局警务保障中心",
    ),
    agency(
        "吕梁市民政局",
        "吕梁市社会福利院",
        "吕梁市儿童福利院",
        "吕梁市救助管理站",
        "吕梁市殡仪馆",
        "吕梁市婚姻登记服务中心",
    ),
    agency("吕梁市司法局", "吕梁市公证处", "吕梁市法律援助中心", "吕梁市社区矫正管理中心"),
    agency("吕梁市财政局", "吕梁市财政国库支付中心", "吕梁市财政投资评审中心", "吕梁市会计服务中心"),
    agency(
        "吕梁市人力资源和社会保障局",
        "吕梁市社会保险中心",
        "吕梁市公共就业和人才服务中心",
        "吕梁市劳动人事争议仲裁院",
        "吕梁市人事考试中心",
        inst("吕梁市技师学院", big=True),
    ),
    agency(
        "吕梁市规划和自然资源局",
        "吕梁市不动产登记中心",
        "吕梁市国土空间规划研究中心",
        "吕梁市自然资源调查监测中心",
    ),
    agency(
        "吕梁市生态环境局",
        "吕梁市生态环境监控中心",
        "吕梁市固体废物管理中心",
        *(
            agency(f"吕梁市生态环境局{county}分局")
            for county in [
                "离石",
                "文水",
                "交城",
                "兴县",
                "临县",
                "柳林",
                "石楼",
                "岚县",
                "方山",
                "中阳",
                "交口",
                "孝义",
                "汾阳",
            ]
        ),
    ),
    agency("吕梁市住房和城乡建设局", "吕梁市建设工程质量安全监督站", "吕梁市住房保障服务中心"),
    inst(
        "吕梁市住房公积金管理中心",
        *(
            f"吕梁市住房公积金管理中心{county}管理部"
            for county in [
                "离石",
                "文水",
                "交城",
                "兴县",
                "临县",
                "柳林",
                "石楼",
                "岚县",
                "方山",
                "中阳",
                "交口",
                "孝义",
                "汾阳",
            ]
        ),
    ),
    agency(
        "吕梁市城市管理局",
        "吕梁市环境卫生服务中心",
        "吕梁市园林绿化服务中心",
        "吕梁市市政设施管理中心",
        agency("吕梁市城市管理综合行政执法支队"),
    ),
    agency(
        "吕梁市交通运输局",
        "吕梁市道路运输服务中心",
        "吕梁市农村公路管理中心",
        "吕梁市交通运输综合行政执法支队",
    ),
    agency("吕梁市水利局", "吕梁市水利发展中心", "吕梁市水土保持中心", "吕梁市水旱灾害防御中心"),
    agency(
        "吕梁市农业农村局",
        "吕梁市农业技术推广中心",
        "吕梁市畜牧兽医服务中心",
        "吕梁市农产品质量安全检验检测中心",
        "吕梁市农业机械发展中心",
        "吕梁市农村经济经营管理站",
        "吕梁市种子站",
        "吕梁市农业综合行政执法队",
    ),
    agency("吕梁市林业局", "吕梁市林业技术推广站", "吕梁市森林病虫害防治站", "吕梁市国有苗圃"),
    agency("吕梁市商务局", "吕梁市商务发展服务中心"),
    agency(
        "吕梁市文化和旅游局",
        "吕梁市图书馆",
        "吕梁市群众艺术馆",
        "吕梁汉画像石博物馆",
        "吕梁市文物考古研究所",
        "吕梁市艺术剧院",
        "吕梁市旅游发展中心",
    ),
    agency(
        "吕梁市卫生健康委员会",
        inst("吕梁市人民医院", big=True),
        inst("吕梁市中医医院", big=True),
        inst("吕梁市第二人民医院", big=True),
        inst("吕梁市第三人民医院", big=True),
        inst("吕梁市妇幼保健院", big=True),
        "吕梁市疾病预防控制中心",
        "吕梁市中心血站",
        "吕梁市急救中心",
        "吕梁市卫生健康综合监督执法队",
    ),
    agency(
        "吕梁市退役军人事务局",
        "吕梁市退役军人服务中心",
        "吕梁市军队离休退休干部休养所",
        "吕梁市烈士陵园管理所",
    ),
    agency("吕梁市应急管理局", "吕梁市应急救援指挥中心", "吕梁市应急管理综合行政执法支队"),
    agency("吕梁市审计局", "吕梁市经济责任审计服务中心"),
    agency("吕梁市人民政府国有资产监督管理委员会", "吕梁市国有企业改革服务中心"),
    agency(
        "吕梁市市场监督管理局",
        "吕梁市检验检测中心",
        "吕梁市市场监管综合行政执法支队",
        agency("吕梁市市场监督管理局离石分局"),
        agency("吕梁市市场监督管理局开发区分局"),
    ),
    agency("吕梁市体育局", "吕梁市体育运动学校", "吕梁市体育中心"),
    agency("吕梁市统计局", "吕梁市社会经济调查中心"),
    agency("吕梁市医疗保障局", "吕梁市医疗保障服务中心"),
    agency("吕梁市乡村振兴局", "吕梁市乡村振兴服务中心"),
    agency("吕梁市能源局", "吕梁市能源发展服务中心"),
    agency("吕梁市行政审批服务管理局", "吕梁市政务服务中心"),
    agency("吕梁市信访局", "吕梁市人民来访接待中心"),
    agency("吕梁市机关事务管理局", "吕梁市机关后勤服务中心", "吕梁市机关第二幼儿园"),
    inst("吕梁市公共资源交易中心"),
    inst("吕梁日报社"),
    inst("吕梁市广播电视台"),
    agency("吕梁市中级人民法院"),
    agency("吕梁市人民检察院"),
    agency("吕梁市总工会", "吕梁市工人文化宫"),
    agency("共青团吕梁市委员会", "吕梁市青少年活动中心"),
    agency("吕梁市妇女联合会", "吕梁市妇女儿童活动中心"),
    agency("吕梁市残疾人联合会", "吕梁市残疾人康复中心"),
    agency("吕梁市科学技术协会"),
    agency("吕梁市文学艺术界联合会"),
    agency("吕梁市工商业联合会"),
)

COUNTY_DEPARTMENTS: tuple[Node, ...] = (
    agency("中共{p}委办公室", "{c}档案馆"),
    agency("中共{p}委组织部"),
    agency("中共{p}委宣传部", "{c}融媒体中心"),
    agency("中共{p}委统一战线工作部"),
    agency("中共{p}委政法委员会"),
    inst("中共{p}委党校"),
    agency("{c}纪委监委"),
    agency("{c}人大常委会办公室"),
    agency("政协{c}委员会办公室"),
    agency("{c}人民政府办公室", "{c}机关事务服务中心"),
    agency("{c}发展和改革局", "{c}粮食和物资储备中心"),
    agency(
        "{c}教育局",
        inst("{c}第一中学", big=True),
        "{c}第二中学",
        "{c}职业技术学校",
        "{c}实验小学",
        "{c}第一小学",
        "{c}第二小学",
        "{c}实验幼儿园",
        "{c}特殊教育学校",
        "{c}教学研究室",
        key="education",
    ),
    agency("{c}公安局", agency("{c}公安局交通警察大队"), agency("{c}看守所")),
    agency("{c}民政局", "{c}社会福利中心", "{c}救助管理站"),
    agency("{c}司法局", "{c}公证处"),
    agency("{c}财政局", "{c}财政国库支付中心"),
    agency("{c}人力资源和社会保障局", "{c}社会保险中心", "{c}公共就业和人才服务中心"),
    agency("{c}自然资源局", "{c}不动产登记中心"),
    agency("{c}住房和城乡建设管理局", "{c}环境卫生服务中心"),
    agency("{c}交通运输局", "{c}农村公路管理中心"),
    agency("{c}水利局", "{c}水利发展中心"),
    agency(
        "{c}农业农村局",
        "{c}农业技术推广中心",
        "{c}畜牧兽医服务中心",
        "{c}农产品质量安全检验检测站",
    ),
    agency("{c}林业局", "{c}国有林场"),
    agency("{c}工业和信息化局"),
    agency("{c}文化和旅游局", "{c}图书馆", "{c}文化馆"),
    agency(
        "{c}卫生健康局",
        inst("{c}人民医院", big=True),
        inst("{c}中医医院", big=True),
        "{c}妇幼保健计划生育服务中心",
        "{c}疾病预防控制中心",
        key="health",
    ),
    agency("{c}退役军人事务局", "{c}退役军人服务中心"),
    agency("{c}应急管理局"),
    agency("{c}审计局"),
    agency("{c}市场监督管理局"),
    agency("{c}统计局"),
    agency("{c}医疗保障局", "{c}医疗保障服务中心"),
    agency("{c}乡村振兴局"),
    agency("{c}行政审批服务管理局"),
    agency("{c}人民法院"),
    agency("{c}人民检察院"),
    agency("{c}总工会"),
    agency("共青团{c}委员会"),
    agency("{c}妇女联合会"),
    agency("{c}残疾人联合会"),
)


def size(nodes: tuple[Node, ...]) -> int:
    """How many units ``nodes`` stand for, with everything below them."""
    return sum(1 + size(node.children) for node in nodes)
