"""The demo city's regions: 山西省 > 吕梁市 > its 13 county-level divisions (GB/T 2260 codes), and the
townships (乡镇, 街道) of each county, whose governments, schools and clinics are budget units."""

from dataclasses import dataclass

PROVINCE = ("140000", "山西省")
CITY = ("141100", "吕梁市")


@dataclass(frozen=True)
class County:
    code: str
    name: str
    poverty: bool
    #: 街道 (urban sub-districts), 镇 (towns) and 乡 (rural townships), as their names end.
    townships: tuple[str, ...]

    @property
    def party(self) -> str:
        """The county's Party committee is 中共{party}委: 兴县县委, 文水县委, 离石区委, 孝义市委."""
        return self.name + "县" if len(self.name) == 2 else self.name


def _townships(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTIES: tuple[County, ...] = (
    County(
        "141102",
        "离石区",
        False,
        _townships(
            "莲花池街道 滨河街道 凤山街道 城北街道 田家会街道 交口街道 西属巴街道 信义镇 吴城镇 红眼川乡 枣林乡 坪头乡"
        ),
    ),
    County(
        "141121",
        "文水县",
        False,
        _townships("凤城镇 开栅镇 南庄镇 南安镇 刘胡兰镇 下曲镇 孝义镇 西槽头乡 北张乡 马西乡 西城乡 南武乡"),
    ),
    County(
        "141122",
        "交城县",
        False,
        _townships("天宁镇 夏家营镇 西营镇 水峪贯镇 西社镇 庞泉沟镇 洪相乡 岭底乡 东坡底乡 会立乡"),
    ),
    County(
        "141123",
        "兴县",
        True,
        _townships(
            "蔚汾镇 魏家滩镇 瓦塘镇 康宁镇 高家村镇 罗峪口镇 蔡家会镇 蔡家崖乡 交楼申乡 恶虎滩乡 东会乡 固贤乡"
            " 奥家湾乡 贺家会乡 孟家坪乡 赵家坪乡 圪达上乡"
        ),
    ),
    County(
        "141124",
        "临县",
        True,
        _townships(
            "临泉镇 白文镇 城庄镇 兔坂镇 克虎镇 三交镇 湍水头镇 林家坪镇 招贤镇 碛口镇 刘家会镇 丛罗峪镇 曲峪镇"
            " 玉坪乡 青凉寺乡 石白头乡 雷家碛乡 大禹乡 第八堡乡 安业乡 车赶乡 木瓜坪乡 安家庄乡"
        ),
    ),
    County(
        "141125",
        "柳林县",
        False,
        _townships(
            "柳林镇 穆村镇 薛村镇 庄上镇 留誉镇 三交镇 成家庄镇 孟门镇 李家湾乡 陈家湾乡 石西乡 高家沟乡"
            " 金家庄乡 贾家垣乡 王家沟乡"
        ),
    ),
    County(
        "141126",
        "石楼县",
        True,
        _townships("灵泉镇 罗村镇 义牒镇 小蒜镇 龙交乡 和合乡 前山乡 曹家垣乡 裴沟乡"),
    ),
    County(
        "141127",
        "岚县",
        True,
        _townships(
            "东村镇 岚城镇 普明镇 界河口镇 土峪乡 上明乡 王狮乡 梁家庄乡 顺会乡 河口乡 社科乡 大蛇头乡"
        ),
    ),
    County(
        "141128",
        "方山县",
        True,
        _townships("圪洞镇 马坊镇 峪口镇 大武镇 北武当镇 积翠乡 开府乡 杨家会乡 麻地会乡"),
    ),
    County("141129", "中阳县", False, _townships("宁乡镇 金罗镇 枝柯镇 武家庄镇 暖泉镇 下枣林乡 车鸣峪乡")),
    County("141130", "交口县", False, _townships("水头镇 康城镇 双池镇 桃红坡镇 石口乡 回龙乡 温泉乡")),
    County(
        "141181",
        "孝义市",
        False,
        _townships(
            "新义街道 中阳楼街道 振兴街道 胜溪湖街道 崇文街道 兑镇镇 阳泉曲镇 下堡镇 西辛庄镇 高阳镇 梧桐镇"
            " 柱濮镇 大孝堡镇 南阳乡 杜村乡 驿马乡"
        ),
    ),
    County(
        "141182",
        "汾阳市",
        False,
        _townships(
            "太和桥街道 文峰街道 贾家庄镇 杏花村镇 冀村镇 肖家庄镇 演武镇 三泉镇 石庄镇 杨家庄镇 峪道河镇"
            " 西河乡 阳城乡 栗家庄乡"
        ),
    ),
)

POVERTY_COUNTIES: tuple[County, ...] = tuple(county for county in COUNTIES if county.poverty)


def county_named(name: str) -> County:
    return next(county for county in COUNTIES if county.name == name)
