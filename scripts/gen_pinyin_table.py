"""Generate kiosk/ui/data/pinyin.tsv, the candidate table of the on-screen pinyin keyboard.

The kiosk has no network and must not depend on an input-method engine, so
the keyboard reads one small table. Its *order* is the valuable part, and it
is chosen here by hand: surnames by national frequency, given-name
characters by rough frequency across generations (the kiosk's users are
often elderly, so 秀 英 兰 桂 rank high), address words (units first, then
provinces and cities). ``pypinyin`` only supplies readings; it is needed to
regenerate the table (a dev dependency: requirements/dev.txt), never at run time.

Readings in context: surnames and place names have their own (单 shan,
曾 zeng, 重庆 chong, 朝阳 chao), so those come from the overrides below or
from pypinyin's phrase dictionary, not from a character's first reading.

Tiers, in file order: S surname, G given name, A address, C other GB2312
level-1 characters, R GB2312 level-2 and the rest. Within a tier the line
order is the offering order (C and R: by use in pypinyin's phrase list).
C and R drop a (syllable, character) pair already listed in S, G or A.

Usage: python scripts/gen_pinyin_table.py [output-path]
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin import __version__ as pypinyin_version

OUT = Path(__file__).resolve().parents[1] / "kiosk" / "ui" / "data" / "pinyin.tsv"

# 百家姓, ordered by the number of holders (national household-register figures, approximate past #100).
SURNAMES = """
王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚
沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔
赖文施洪辛柯庄樊殷詹兰耿关牛葛申宁聂柴温安章欧傅齐祝晏单鲁舒倪蓝卞涂翟时梅焦华苗谷岳包纪鲍左骆滕车季甘粟巩
闵邢阎冉伍穆饶房裴占凌曲项祁盛成管卓霍储解仇查乐朴区缪盖尉隋屈麻全容牟符戚桂应商池路麦米边芦花窦连靳胥习衣
都水云艾沙党娄丛冷尚岑姬宫景荣官郎司萧庞蒙阮鞠谌柏燕阚宗苑揭费井颜吉邝练佘巫寇鄢简湛封游席喻虞尤冼褚卜宿
"""
COMPOUND_SURNAMES = "欧阳 上官 司马 诸葛 东方 皇甫 令狐 慕容 尉迟=yu,chi 公孙 长孙=zhang,sun 夏侯 轩辕 端木 司徒 南宫 西门 独孤 宇文 呼延 澹台=tan,tai 申屠 钟离 拓跋"
# The surname reading where it differs from the character's usual one (乐 and 覃 have two in use).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "区": "ou", "解": "xie", "仇": "qiu", "查": "zha", "乐": "yue le", "朴": "piao",
    "盖": "ge", "缪": "miao", "尉": "wei", "覃": "qin tan", "翟": "zhai", "谌": "chen", "柏": "bai", "燕": "yan",
    "阚": "kan", "都": "du", "宿": "su", "卜": "bu", "占": "zhan", "长": "zhang", "车": "che", "华": "hua",
}

# Given-name characters, roughly most frequent first: older generations, then middle, then recent births.
GIVEN = """
英华玉秀明珍文芳兰国梅红德平海建金丽云志春荣军林凤成永小燕霞伟辉生新清洪宝勇杰敏静涛强俊峰斌超波刚丹娟萍
艳婷雪慧莉琴琳晶颖佳欣怡子宇浩轩涵晨睿博雨思泽嘉一梓诗梦晓瑞鑫宏亮磊鹏飞龙东江山月阳光美淑桂香芬珠翠琼娥彩
菊莲花蓉巧福禄寿喜财贵富吉祥安康乐庆丰广长武双全和顺利胜兴旺昌盛发达进正义仁礼智信忠孝良善贤振中民立学友朝
耀祖宗天地人卫保来树先启家恩泰厚汉书章元仲伯贞惠爱素容秋冬夏冰洁雅环爽菲悦蕾露虹彤岚妍媛娜娇婉姣健凯帅锋鸣
威彬毅坤锐琦哲昊洋旭璐瑶薇婕婧琪蓓璇雯玲玮琰琨瑜瑾璟珺莹铭奕逸然翔豪航皓煜烨霖霏妤茜芊苒芮菁蕊蕙馨钰汐沐沫
锦熙曦晞希曼悠柔依伊艺忆语玥芷若初可朵姝昕昱晟晗琛璋珩珏琮骏驰骁麟霆霄弘泓淼澄沛润溪湘潇洛源澜渊淳卓越远致
知行修谦恒诚笃崇尚儒颂韵墨歌世传承继隆松柏竹桃李杏枫杨柳梧桐楠森木禾苗谷穗芝芸芹芙蔷茉萱茵茹荔菡萌蔓日星辰
风雷晴晖曙川岳岩石河湖泉浪池虎鹤鹰雁鸿鹃驹银琅瑛瑰璞珂珊瑚珑瑗璧琬瑄琇二三四五六七八九十百千万少亚力俐黎宁
娴婵媚姿娅妮娉姗妙如意盈满园圆方直真心怀远大程展图业基才艺晋豫湘川闽粤京津渝青疆凡帆舟楫兵将士边城栋梁材农
翡琥珀照煌灿绣繁端庄温纯朴实勤俭谦让恭敬抗美援跃向旗宸铎锴钧钊铮锟镇钦铨镭铄铠锵钟铃洲瀚深澈满澜炎炜烁焕
熠燊熹炫焱烽炯嫣娴嫦婵嫱妩暄晔暖旻昀晏捷维桦杉樟榕柯桢佑紫佩桐豪
彦昭宪宣宽宾宥富寅尧岗崎巍干年庚延彪彰征念恬悟惟惜慈慕懿戈政敦斐昆曜朗望本柱标根楚槿樱檀欢殿毓沁治
涌滔漫潮灏烈牧献玄理瑭璀璨甜甫男畅登皓益硕礼祯禹秉稳竞童笑笙简纬绍绮缘群羽翊聪至舒茂莎蓝蔚蕴藤蝶衍裕
言誉谊赞赫路迪道迎郁采镜闯闻阔雄雍震靖韬音韶领飒馥魁鸥麒默鼎倩妹莺鸾鹂黛萃蓁葳薏霓纹绫缨翎枝叶廷庭堂
存留锁栓铁钢锡成功社会革命赶超工尊敏捷炳焰燃钰铿鑫敖傲擎琛瑀霁霈屿珞玖筱婳芃葵栀棠允予许柠恩颜乔奇
邦耀伦彩凌霜菱芷茗荀蓉蕙蘅琚瑷璎璋璐珮佩珩瑄琳婧娴姿娇妃姬嫒帼柯栩桐梧浚涧沅沣泷潼澍濠瀚煦焜熠
钜铖锦镕锋辰晟晖暻曈曌晰晋昶昇晁昉昱晏丞仕伦俊倬傲儒光兆克全兴典冠凯刚创劲勋勤博卫卿厚友同君咏
哲啸嘉国圣坚培基堃增墨士壮奎奕威孚孟学宁守安宏宗官定宜宝实宸家容宾寒寿将尊少尚岩峻崇嵘川州巨帅希常广
庆廉建弘强彤征德心志忠思恒恺悦惠意慎成战才振捷政效敬斌新方旭易昌明昊春昱时晨景智曜月朋朔
"""
# Name readings that differ from pypinyin's first one.
GIVEN_READINGS = {"朝": "chao zhao", "长": "chang", "乐": "le yue", "行": "xing hang", "重": "chong zhong"}

# Address words, most useful first (units and directions, then road words, then places).
# "word=reading,reading" where pypinyin's phrase reading is not the local one.
ADDRESS = """
省 市 区 县 镇 乡 村 街道 路 号 楼 室 单元 栋 幢=zhuang 小区 社区 组 弄=long 弄=nong 巷 胡同 大街 大道 里 院 层 户 座 期
自治区 自治州 自治县 旗 盟 新区 开发区 工业园 园区 高新区 经济 技术 花园 家园 公寓 大厦 广场 中心 苑 庭 府 城 湾 庄 屯 寨
坊 村委会 居委会 门 东 南 西 北 中 上 下 前 后 左 右 内 外 新 老 大 小 一 二 三 四 五 六 七 八 九 十 零 百 第 甲 乙 丙 丁 附
人民 解放 建设 中山 和平 胜利 文化 新华 长江 黄河 友谊 光明 团结 幸福 民主 复兴 振兴 繁荣 迎宾 滨江 滨河 滨海 环城 环路
科技 工业 商业 金融 体育 学府 学院 大学 中学 小学 医院 车站 火车站 机场 港口 码头 桥 湖 河 江 海 山 岭 峰 林 园 泉 塘 田
坝 坡 沟 营 堡 集 店 铺 口 关 台 亭 阁 塔 寺 庙 宫 堤 岛 洲 滩 港 城关 郊区 农场 林场 牧场 矿区 厂 公司 集团 大楼 商场
市场 新村 雅苑 名苑 华府 公馆 国际 世纪 时代 阳光 锦绣 金色 绿地
北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南
陕西 甘肃 青海 台湾 内蒙古 广西 壮族 西藏 宁夏 回族 新疆 维吾尔 香港 澳门 特别行政区
京 津 沪 渝 冀 晋 蒙 辽 吉 黑 苏 浙 皖 闽 赣 鲁 豫 鄂 湘 粤 桂 琼 川 蜀 黔 贵 滇 云 藏 陕 秦 甘 陇 青 宁 新 港 澳 台
石家庄 太原 呼和浩特 沈阳 长春 哈尔滨 南京 杭州 合肥 福州 南昌 济南 郑州 武汉 长沙 广州 海口 成都 贵阳 昆明 拉萨 西安
兰州 西宁 银川 乌鲁木齐 南宁 台北 深圳 大连 青岛 宁波 厦门 苏州 无锡 常州 徐州 南通 扬州 温州 绍兴 嘉兴 金华 台州 湖州
东莞 佛山 珠海 汕头 惠州 江门 湛江 茂名 肇庆 烟台 潍坊 临沂 淄博 济宁 威海 泰安 保定 唐山 邯郸 廊坊 秦皇岛 沧州 邢台
张家口 承德 洛阳 开封 新乡 南阳 商丘 安阳 许昌 宜昌 襄阳 荆州 十堰 岳阳 衡阳 株洲 湘潭 常德 柳州 桂林 北海 绵阳 宜宾
南充 泸州 遵义 曲靖 大理 丽江 宝鸡 咸阳 延安 榆林 汉中 天水 酒泉 嘉峪关 克拉玛依 喀什 伊犁 包头 鄂尔多斯 赤峰 大同 运城
长治 鞍山 抚顺 丹东 锦州 营口 四平 延边 齐齐哈尔 牡丹江 大庆 佳木斯 芜湖 蚌埠 安庆 阜阳 六安 马鞍山 泉州 漳州 莆田
九江 赣州 景德镇 上饶 三亚 乐山 攀枝花 德阳 自贡 雄安 浦东 海淀 朝阳=chao,yang 丰台 东城 西城 通州 昌平 大兴 顺义 房山
徐汇 黄浦 静安 闵行 宝山 嘉定 松江 天河 越秀 白云 番禺 福田 南山 罗湖 宝安 龙岗 滨湖 江北 渝中 武侯 锦江 雁塔 碑林
"""

VOWEL = re.compile(r"[aeiouv]")
SYLLABLE = re.compile(r"^[a-z]+$")


def chars(text: str) -> list[str]:
    """The CJK characters of ``text`` in order, each once."""
    seen: dict[str, None] = {}
    for c in text:
        if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf":
            seen.setdefault(c)
    return list(seen)


def readings(c: str) -> list[str]:
    """All readings of one character, toneless with v for ü (lve, nv), most common first."""
    out = pinyin(c, style=Style.NORMAL, heteronym=True, errors="ignore")
    return list(dict.fromkeys(r for r in (out[0] if out else []) if usable(r)))


def usable(syllable: str) -> bool:
    """Interjection-only syllables (m, n, ng, hm) would shadow real prefixes: typing n must offer 宁 牛 聂."""
    return bool(SYLLABLE.match(syllable) and VOWEL.search(syllable))


def word_entries(spec: str) -> list[tuple[str, str]]:
    """(syllable, character) pairs of space-separated words, read in context unless overridden."""
    out = []
    for item in spec.split():
        word, _, forced = item.partition("=")
        syllables = forced.split(",") if forced else lazy_pinyin(word, style=Style.NORMAL, errors="ignore")
        out.extend(zip(syllables, word))
    return out


def surname_rows() -> list[tuple[str, str]]:
    rows = []
    for c in chars(SURNAMES):
        forced = SURNAME_READINGS.get(c)
        rows.extend((r, c) for r in (forced.split() if forced else readings(c)[:1]))
    return rows + word_entries(COMPOUND_SURNAMES)


def given_rows() -> list[tuple[str, str]]:
    """Each character under its main reading only: pypinyin's other readings include archaic ones
    (宪 xiong, 方 wang) that must not outrank real candidates; they stay in the C and R tail."""
    rows = []
    for c in chars(GIVEN):
        forced = GIVEN_READINGS.get(c)
        rows.extend((r, c) for r in (forced.split() if forced else readings(c)[:1]))
    return rows


def phrase_usage() -> Counter:
    """How often each (reading, character) occurs in pypinyin's ~47,000 phrases.

    No frequency list ships offline; appearing in many words is a fair proxy
    for a common character (重 zhong 464, 盅 1), and it is reading-aware
    (重 chong is counted apart), which orders the long C and R tails.
    """
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.phrases_dict import phrases_dict

    return Counter((to_normal(py[0]), c) for phrase, pys in phrases_dict.items() for c, py in zip(phrase, pys))


def by_usage(cs: list[str], usage: Counter) -> list[tuple[str, str]]:
    """Every reading of every character, most used in phrases first; then main readings, then code order."""
    rows = [(-usage[(r, c)], i > 0, n, r, c) for n, c in enumerate(cs) for i, r in enumerate(readings(c))]
    return [(r, c) for *_, r, c in sorted(rows)]


def gb2312_level(level: int) -> list[str]:
    """GB2312 level 1 (3,755 common characters) or level 2 (3,008 less common), from Python's own codec."""
    rows = range(0xB0, 0xD8) if level == 1 else range(0xD8, 0xF8)
    out = []
    for hi in rows:
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the unused tail of row 0xD7
    return out


def build() -> list[tuple[str, str, str]]:
    table: list[tuple[str, str, str]] = []
    done: set[tuple[str, str, str]] = set()
    pairs: set[tuple[str, str]] = set()

    def add(tier: str, rows) -> None:
        for syllable, c in rows:
            if not usable(syllable) or (syllable, c, tier) in done or (tier in "CR" and (syllable, c) in pairs):
                continue
            done.add((syllable, c, tier))
            pairs.add((syllable, c))
            table.append((syllable, c, tier))
            if syllable in ("lve", "nve"):  # ü is typed as v, but many type u after l and n: 略 as lve or lue
                table.append((syllable.replace("v", "u"), c, tier))

    add("S", surname_rows())
    add("G", given_rows())
    add("A", word_entries(ADDRESS))
    listed = {c for _, c, _ in table}
    usage = phrase_usage()
    level1 = gb2312_level(1)
    add("C", by_usage(level1, usage))
    add("R", by_usage([c for c in dict.fromkeys(gb2312_level(2) + sorted(listed)) if c not in set(level1)], usage))
    return table


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    table = build()
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Generated by scripts/gen_pinyin_table.py (readings from pypinyin {pypinyin_version}); "
              "edit the lists there, not this file.\n"
              "# syllable<TAB>character<TAB>tier; tiers S surname, G given name, A address, "
              "C GB2312 level 1, R rarer. Earlier lines of a tier are offered first.\n")
    out.write_text(header + "".join(f"{s}\t{c}\t{t}\n" for s, c, t in table), encoding="utf-8")
    counts = {t: sum(1 for row in table if row[2] == t) for t in "SGACR"}
    sys.stderr.write(f"{out}: {len(table)} rows, {len({c for _, c, _ in table})} characters, "
                     f"{len({s for s, _, _ in table})} syllables, per tier {counts}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
