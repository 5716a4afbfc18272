/* sa-seed: adds N accepted declarations with realistic Japanese data to a
 * mod_secaction database, through the tables the module uses and with the
 * module's own rules, so that the public search can be measured at scale.
 *
 *   sa-seed DRIVER PARAMS N [--seed S]      (DRIVER sqlite3 or pgsql,
 *                                             PARAMS as bin/sa-dbinit takes them)
 *
 * Each row is made as the wizard would make it: the fields a browser would
 * post go through the core's validators (sa_company_validate,
 * sa_declaration_validate), whose normalised output is stored, so a reading
 * or postal code is in the form the module stores.  Then, as the store's
 * write_listing does, its public_listing row (name by sa_display_name) and
 * its listing_gram rows (search text and grams by sa_listing_text); at the
 * end the counts of listing_count are counted again from every posting.
 *
 * Deterministic for a given seed: row k of a run draws from its own
 * splitmix64 stream (seed, k); the dates are spread over the three years
 * before today's midnight in Japan (or before SOURCE_DATE_EPOCH).  Ids follow
 * the largest id there is; 利用者番号 and 自己宣言ID are a fixed permutation of
 * the id into 1000000000-9999999999 (one space for both, as the module
 * draws them), checked against the numbers of rows the module made.
 *
 * Rows are made in a thread of their own while the previous transaction's
 * are written, with multi-row prepared INSERTs (apr_dbd, one connection),
 * in transactions of 50,000 declarations on SQLite (synchronous OFF and a
 * 512 MiB cache while seeding) and 10,000 on PostgreSQL; the grams of a
 * transaction are sorted by (gram, id) first.  A seed of 50,000 rows or
 * more builds the secondary indexes after the rows (see drop_indexes;
 * SA_SEED_KEEP_INDEXES=1 keeps them).  On PostgreSQL the id sequence is
 * moved past the seeded ids and the tables are VACUUM ANALYZEd at the end.
 * Measured here (2 cores, shared): 1,000,000 rows in 208 s on SQLite,
 * 646 s on PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_hash.h>
#include <apr_time.h>
#include <apr_dbd.h>
#include <apr_thread_proc.h>
#include <apr_thread_mutex.h>
#include <apr_thread_cond.h>
#include "sa_form.h"
#include "sa_validate.h"
#include "sa_search.h"
#include "sa_text.h"
#include "sa_dbtool.h"

#ifndef SA_SEED_DATA_DIR
#define SA_SEED_DATA_DIR "data"
#endif

#define SPAN_SECS  (3 * 365 * 86400LL)
#define JST        (9 * 3600)
/* multi-row INSERT sizes (rows per statement, a power of two) */
#define DECL_BATCH 32
#define LIST_BATCH 128
#define GRAM_BATCH 512

/* --- randomness --------------------------------------------------------- */

typedef struct { uint64_t s; } rng_t;

static uint64_t next64(rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned below(rng_t *r, unsigned n)
{
    return (unsigned)(((next64(r) >> 32) * (uint64_t)n) >> 32);
}

static int chance(rng_t *r, unsigned percent)
{
    return below(r, 100) < percent;
}

/* --- vocabulary ------------------------------------------------------------- */

typedef struct { const char *w, *kana; unsigned weight; } word_t;
/* a word of a business name, with its reading and the JSIC major it suits
 * ("" for any) */
typedef struct { const char *w, *kana, *major; } bizword_t;

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Surnames, weighted by how common they are (about 10,000 people). */
static const word_t surnames[] = {
    {"佐藤","サトウ",187},{"鈴木","スズキ",180},{"高橋","タカハシ",142},{"田中","タナカ",134},
    {"伊藤","イトウ",108},{"渡辺","ワタナベ",107},{"山本","ヤマモト",107},{"中村","ナカムラ",105},
    {"小林","コバヤシ",104},{"加藤","カトウ",89},{"吉田","ヨシダ",84},{"山田","ヤマダ",82},
    {"佐々木","ササキ",68},{"山口","ヤマグチ",64},{"松本","マツモト",63},{"井上","イノウエ",62},
    {"木村","キムラ",58},{"林","ハヤシ",55},{"斎藤","サイトウ",55},{"清水","シミズ",54},
    {"山崎","ヤマザキ",49},{"森","モリ",47},{"池田","イケダ",44},{"橋本","ハシモト",43},
    {"阿部","アベ",43},{"石川","イシカワ",42},{"山下","ヤマシタ",41},{"中島","ナカジマ",40},
    {"石井","イシイ",39},{"小川","オガワ",39},{"前田","マエダ",38},{"岡田","オカダ",37},
    {"長谷川","ハセガワ",37},{"藤田","フジタ",36},{"後藤","ゴトウ",36},{"近藤","コンドウ",35},
    {"村上","ムラカミ",34},{"遠藤","エンドウ",33},{"青木","アオキ",33},{"坂本","サカモト",32},
    {"斉藤","サイトウ",31},{"福田","フクダ",31},{"太田","オオタ",30},{"西村","ニシムラ",30},
    {"藤井","フジイ",29},{"金子","カネコ",28},{"岡本","オカモト",28},{"藤原","フジワラ",28},
    {"中野","ナカノ",27},{"三浦","ミウラ",27},{"原田","ハラダ",26},{"中川","ナカガワ",26},
    {"松田","マツダ",26},{"竹内","タケウチ",25},{"小野","オノ",25},{"田村","タムラ",25},
    {"中山","ナカヤマ",24},{"和田","ワダ",24},{"石田","イシダ",24},{"森田","モリタ",23},
    {"上田","ウエダ",23},{"原","ハラ",23},{"内田","ウチダ",22},{"柴田","シバタ",22},
    {"酒井","サカイ",22},{"宮崎","ミヤザキ",22},{"横山","ヨコヤマ",21},{"高木","タカギ",21},
    {"安藤","アンドウ",21},{"宮本","ミヤモト",21},{"大野","オオノ",20},{"小島","コジマ",20},
    {"谷口","タニグチ",20},{"今井","イマイ",20},{"工藤","クドウ",20},{"高田","タカダ",19},
    {"増田","マスダ",19},{"丸山","マルヤマ",19},{"杉山","スギヤマ",19},{"村田","ムラタ",19},
    {"大塚","オオツカ",18},{"新井","アライ",18},{"小山","コヤマ",18},{"平野","ヒラノ",18},
    {"藤本","フジモト",18},{"河野","コウノ",18},{"上野","ウエノ",17},{"野口","ノグチ",17},
    {"武田","タケダ",17},{"松井","マツイ",17},{"千葉","チバ",17},{"岩崎","イワサキ",17},
    {"菅原","スガワラ",16},{"木下","キノシタ",16},{"久保","クボ",16},{"佐野","サノ",16},
    {"野村","ノムラ",16},{"松尾","マツオ",16},{"市川","イチカワ",15},{"菊地","キクチ",15},
};

static const word_t given_names[] = {
    {"一郎","イチロウ",6},{"太郎","タロウ",6},{"健太","ケンタ",5},{"翔太","ショウタ",4},
    {"大輔","ダイスケ",6},{"誠","マコト",6},{"浩","ヒロシ",7},{"隆","タカシ",6},
    {"修","オサム",5},{"健一","ケンイチ",5},{"直樹","ナオキ",5},{"拓也","タクヤ",4},
    {"達也","タツヤ",4},{"和也","カズヤ",5},{"亮","リョウ",4},{"学","マナブ",4},
    {"剛","ツヨシ",4},{"聡","サトシ",5},{"博之","ヒロユキ",5},{"正樹","マサキ",4},
    {"茂","シゲル",4},{"勝","マサル",3},{"清","キヨシ",4},{"進","ススム",3},
    {"俊介","シュンスケ",3},{"雄一","ユウイチ",3},{"康弘","ヤスヒロ",3},{"秀樹","ヒデキ",4},
    {"花子","ハナコ",3},{"美咲","ミサキ",3},{"陽子","ヨウコ",5},{"恵子","ケイコ",5},
    {"裕子","ユウコ",5},{"由美","ユミ",4},{"真由美","マユミ",4},{"愛","アイ",3},
    {"さくら","サクラ",2},{"明美","アケミ",4},{"和子","カズコ",4},{"幸子","サチコ",4},
    {"久美子","クミコ",4},{"直子","ナオコ",4},{"智子","トモコ",5},{"美穂","ミホ",3},
    {"麻衣","マイ",3},{"綾","アヤ",3},{"千尋","チヒロ",2},{"彩","アヤ",2},
};

/* The first part of a company name: places, lucky words, family names. */
static const word_t name_parts[] = {
    {"山田","ヤマダ",3},{"田中","タナカ",3},{"佐藤","サトウ",3},{"鈴木","スズキ",3},
    {"高橋","タカハシ",2},{"中村","ナカムラ",2},{"小林","コバヤシ",2},{"加藤","カトウ",2},
    {"松本","マツモト",2},{"井上","イノウエ",2},{"木村","キムラ",2},{"藤田","フジタ",2},
    {"岡田","オカダ",2},{"前田","マエダ",2},{"村上","ムラカミ",2},{"石川","イシカワ",2},
    {"東海","トウカイ",3},{"日本","ニホン",6},{"大和","ヤマト",3},{"北陸","ホクリク",2},
    {"関東","カントウ",3},{"関西","カンサイ",3},{"九州","キュウシュウ",3},{"東北","トウホク",2},
    {"中部","チュウブ",2},{"中央","チュウオウ",4},{"富士","フジ",4},{"青葉","アオバ",2},
    {"丸山","マルヤマ",2},{"三和","サンワ",3},{"大成","タイセイ",2},{"平和","ヘイワ",2},
    {"新光","シンコウ",2},{"昭和","ショウワ",3},{"東洋","トウヨウ",4},{"太陽","タイヨウ",3},
    {"旭","アサヒ",3},{"朝日","アサヒ",3},{"光","ヒカリ",2},{"若葉","ワカバ",2},
    {"大阪","オオサカ",3},{"東京","トウキョウ",4},{"横浜","ヨコハマ",2},{"名古屋","ナゴヤ",2},
    {"札幌","サッポロ",2},{"福岡","フクオカ",2},{"神戸","コウベ",2},{"京都","キョウト",2},
    {"仙台","センダイ",2},{"広島","ヒロシマ",2},{"北海","ホッカイ",2},{"信濃","シナノ",1},
    {"越後","エチゴ",1},{"湘南","ショウナン",1},{"瀬戸内","セトウチ",1},{"丸和","マルワ",2},
    {"三栄","サンエイ",2},{"大栄","ダイエイ",2},{"共栄","キョウエイ",3},{"協和","キョウワ",3},
    {"第一","ダイイチ",3},{"日東","ニットウ",2},{"明治","メイジ",2},{"大正","タイショウ",1},
    {"千代田","チヨダ",2},{"山陽","サンヨウ",2},{"山陰","サンイン",1},{"南海","ナンカイ",1},
    {"近畿","キンキ",1},{"四国","シコク",1},{"新日本","シンニホン",2},{"西日本","ニシニホン",2},
    {"東日本","ヒガシニホン",2},{"中日本","ナカニホン",1},{"日新","ニッシン",2},{"大洋","タイヨウ",1},
    {"金剛","コンゴウ",1},{"北斗","ホクト",2},{"白山","ハクサン",1},{"国際","コクサイ",2},
};

/* Kanji words of business names, with the JSIC major they suit. */
static const bizword_t kanji_words[] = {
    {"建設","ケンセツ","D"},{"工務店","コウムテン","D"},{"土木","ドボク","D"},{"設備","セツビ","D"},
    {"電設","デンセツ","D"},{"塗装","トソウ","D"},{"住宅","ジュウタク","D"},{"電工","デンコウ","D"},
    {"工業","コウギョウ","E"},{"製作所","セイサクショ","E"},{"精機","セイキ","E"},{"電機","デンキ","E"},
    {"化学","カガク","E"},{"鉄工","テッコウ","E"},{"製菓","セイカ","E"},{"印刷","インサツ","E"},
    {"食品","ショクヒン","E"},{"技研","ギケン","E"},{"金属","キンゾク","E"},{"電子","デンシ","E"},
    {"製薬","セイヤク","E"},{"酒造","シュゾウ","E"},{"車輌","シャリョウ","E"},
    {"情報","ジョウホウ","G"},{"通信","ツウシン","G"},{"放送","ホウソウ","G"},{"出版","シュッパン","G"},
    {"運輸","ウンユ","H"},{"運送","ウンソウ","H"},{"物流","ブツリュウ","H"},{"倉庫","ソウコ","H"},
    {"交通","コウツウ","H"},{"商事","ショウジ","I"},{"商店","ショウテン","I"},{"物産","ブッサン","I"},
    {"商会","ショウカイ","I"},{"薬局","ヤッキョク","I"},{"自動車","ジドウシャ","I"},{"燃料","ネンリョウ","I"},
    {"保険","ホケン","J"},{"不動産","フドウサン","K"},{"地所","ジショ","K"},{"興産","コウサン","K"},
    {"設計","セッケイ","L"},{"会計","カイケイ","L"},{"測量","ソクリョウ","L"},{"企画","キカク","L"},
    {"研究所","ケンキュウジョ","L"},{"観光","カンコウ","M"},{"旅館","リョカン","M"},{"飲食","インショク","M"},
    {"美容","ビヨウ","N"},{"理容","リヨウ","N"},{"学院","ガクイン","O"},{"教育","キョウイク","O"},
    {"介護","カイゴ","P"},{"福祉会","フクシカイ","P"},{"調剤","チョウザイ","P"},{"警備","ケイビ","R"},
    {"環境","カンキョウ","R"},{"清掃","セイソウ","R"},{"農園","ノウエン","A"},{"水産","スイサン","B"},
    {"林業","リンギョウ","A"},{"電力","デンリョク","F"},{"開発","カイハツ",""},{"産業","サンギョウ",""},
    {"興業","コウギョウ",""},{"技術","ギジュツ",""},{"総業","ソウギョウ",""},{"工芸","コウゲイ",""},
};

static const bizword_t katakana_words[] = {
    {"システム","システム","G"},{"ソリューションズ","ソリューションズ","G"},{"テクノ","テクノ","E"},
    {"テック","テック",""},{"サービス","サービス","R"},{"エンジニアリング","エンジニアリング","L"},
    {"デザイン","デザイン","L"},{"ネットワーク","ネットワーク","G"},{"コンサルティング","コンサルティング","L"},
    {"プランニング","プランニング","L"},{"ホールディングス","ホールディングス",""},
    {"トレーディング","トレーディング","I"},{"ファーム","ファーム","A"},{"ラボ","ラボ","L"},
    {"クリエイト","クリエイト",""},{"メディア","メディア","G"},{"サクラ","サクラ",""},{"ミライ","ミライ",""},
    {"アオゾラ","アオゾラ",""},{"グリーン","グリーン",""},{"ライフ","ライフ",""},{"ケア","ケア","P"},
    {"フーズ","フーズ","E"},{"モータース","モータース","I"},{"ホーム","ホーム","K"},{"ハウス","ハウス","K"},
    {"エステート","エステート","K"},{"トラベル","トラベル","N"},{"ビューティー","ビューティー","N"},
    {"マート","マート","I"},{"ソフト","ソフト","G"},{"データ","データ","G"},{"ロジスティクス","ロジスティクス","H"},
    {"メディカル","メディカル","P"},{"ファーマ","ファーマ","P"},{"アグリ","アグリ","A"},{"マリン","マリン","B"},
    {"エナジー","エナジー","F"},{"オフィス","オフィス",""},{"ワークス","ワークス",""},{"スタジオ","スタジオ","G"},
    {"アート","アート",""},{"ジャパン","ジャパン",""},{"インターナショナル","インターナショナル",""},
    {"パートナーズ","パートナーズ",""},{"フロンティア","フロンティア",""},{"ネクスト","ネクスト",""},
    {"スマイル","スマイル",""},{"ハート","ハート",""},{"リンク","リンク",""},{"ブリッジ","ブリッジ",""},
    {"アクア","アクア",""},{"スカイ","スカイ",""},{"サン","サン",""},{"ユニオン","ユニオン",""},
    {"グローバル","グローバル",""},{"ドリーム","ドリーム",""},{"アイ","アイ",""},{"プラス","プラス",""},
};

/* What a sole proprietor's 屋号 ends with, and the major it suits. */
static const bizword_t shop_words[] = {
    {"商店","",""},{"工務店","","D"},{"設計事務所","","L"},{"会計事務所","","L"},
    {"税理士事務所","","L"},{"行政書士事務所","","L"},{"司法書士事務所","","L"},
    {"社会保険労務士事務所","","L"},{"整骨院","","P"},{"鍼灸院","","P"},{"治療院","","P"},
    {"塗装","","D"},{"電気","","D"},{"板金","","E"},{"農園","","A"},{"美容室","","N"},
    {"理容室","","N"},{"写真館","","N"},{"デザイン事務所","","L"},{"珈琲店","","M"},
    {"食堂","","M"},{"書店","","I"},{"酒店","","I"},{"塾","","O"},{"ピアノ教室","","O"},
};

/* People per 10,000 (2020 census, roughly), Tokyo weighed up for its share
 * of businesses; index = prefecture code - 1. */
static const unsigned pref_weight[47] = {
    522,124,121,230,96,107,183,287,193,194,734,628,2100,923,220,103,113,77,81,205,
    198,363,754,177,141,258,884,547,132,92,55,67,189,280,134,72,95,133,69,513,
    81,131,174,112,107,159,147,
};

static const char *const cities[47][10] = {
    {"札幌市中央区","札幌市北区","旭川市","函館市","帯広市"},
    {"青森市","八戸市","弘前市"}, {"盛岡市","一関市","奥州市"},
    {"仙台市青葉区","仙台市宮城野区","石巻市","大崎市"}, {"秋田市","横手市","大仙市"},
    {"山形市","鶴岡市","米沢市"}, {"郡山市","いわき市","福島市","会津若松市"},
    {"水戸市","つくば市","日立市","土浦市"}, {"宇都宮市","小山市","足利市"},
    {"前橋市","高崎市","太田市"}, {"さいたま市大宮区","川口市","川越市","所沢市","越谷市"},
    {"千葉市中央区","船橋市","柏市","市川市","松戸市"},
    {"千代田区","中央区","港区","新宿区","渋谷区","品川区","大田区","世田谷区","八王子市","立川市"},
    {"横浜市中区","横浜市港北区","川崎市川崎区","相模原市中央区","藤沢市","厚木市"},
    {"新潟市中央区","長岡市","上越市"}, {"富山市","高岡市","射水市"}, {"金沢市","白山市","小松市"},
    {"福井市","坂井市","越前市"}, {"甲府市","甲斐市","富士吉田市"}, {"長野市","松本市","上田市"},
    {"岐阜市","大垣市","各務原市"}, {"静岡市葵区","浜松市中区","沼津市","富士市"},
    {"名古屋市中区","名古屋市中村区","豊田市","岡崎市","一宮市"}, {"津市","四日市市","鈴鹿市"},
    {"大津市","草津市","彦根市"}, {"京都市下京区","京都市中京区","宇治市","福知山市"},
    {"大阪市北区","大阪市中央区","堺市堺区","東大阪市","豊中市"},
    {"神戸市中央区","姫路市","西宮市","尼崎市"}, {"奈良市","橿原市","生駒市"},
    {"和歌山市","田辺市","橋本市"}, {"鳥取市","米子市","倉吉市"}, {"松江市","出雲市","浜田市"},
    {"岡山市北区","倉敷市","津山市"}, {"広島市中区","福山市","呉市"}, {"下関市","山口市","宇部市"},
    {"徳島市","阿南市","鳴門市"}, {"高松市","丸亀市","観音寺市"}, {"松山市","今治市","新居浜市"},
    {"高知市","南国市","四万十市"}, {"福岡市博多区","福岡市中央区","北九州市小倉北区","久留米市"},
    {"佐賀市","唐津市","鳥栖市"}, {"長崎市","佐世保市","諫早市"}, {"熊本市中央区","八代市","天草市"},
    {"大分市","別府市","中津市"}, {"宮崎市","都城市","延岡市"}, {"鹿児島市","霧島市","鹿屋市"},
    {"那覇市","沖縄市","うるま市","浦添市"},
};

/* The area code of each prefecture's main city (landlines: 10 digits). */
static const char *const area_codes[47] = {
    "011","017","019","022","018","023","024","029","028","027","048","043","03","045","025",
    "076","076","0776","055","026","058","054","052","059","077","075","06","078","0742","073",
    "0857","0852","086","082","083","088","087","089","088","092","0952","095","096","097",
    "0985","099","098",
};

static const char *const towns[] = {
    "本町","栄町","中央","緑町","東町","西町","南町","北町","幸町","旭町","錦町","大手町",
    "新町","元町","住吉町","駅前","若松町","春日町","桜町","松原",
};

/* JSIC majors: a rough share of small businesses (per mille). */
static const struct { const char *code; unsigned weight; } majors[] = {
    {"A",10},{"B",3},{"C",1},{"D",130},{"E",130},{"F",2},{"G",70},{"H",35},{"I",190},{"J",15},
    {"K",50},{"L",75},{"M",70},{"N",55},{"O",20},{"P",60},{"Q",5},{"R",75},{"S",1},{"T",3},
};

static const char *const member_orgs[] = { "商工会議所", "商工会連合会", "中小企業団体中央会", "法人会" };

/* A bcrypt-looking hash that no password has: seeded rows cannot log in. */
#define SEED_PASSWORD_HASH "$2y$10$seedseedseedseedseedseOq3Jv1cW4k0eZr0Zz0Zz0Zz0Zz0Zz0Z"

/* --- weighted choice ------------------------------------------------------- */

static unsigned total_weight(const word_t *w, size_t n)
{
    unsigned t = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        t += w[i].weight;
    }
    return t;
}

static const word_t *pick_word(rng_t *r, const word_t *w, size_t n, unsigned total)
{
    unsigned x = below(r, total);
    size_t i;
    for (i = 0; i + 1 < n && x >= w[i].weight; i++) {
        x -= w[i].weight;
    }
    return &w[i];
}

/* A word that suits major most of the time, any word otherwise. */
static const bizword_t *pick_biz(rng_t *r, const bizword_t *w, size_t n, const char *major)
{
    if (chance(r, 70)) {
        size_t i, fit = 0;
        for (i = 0; i < n; i++) {
            fit += !strcmp(w[i].major, major);
        }
        if (fit) {
            size_t k = below(r, (unsigned)fit);
            for (i = 0; i < n; i++) {
                if (!strcmp(w[i].major, major) && k-- == 0) {
                    return &w[i];
                }
            }
        }
    }
    return &w[below(r, (unsigned)n)];
}

static unsigned pref_total, major_total, surname_total, given_total, part_total;

static int pick_pref(rng_t *r)
{
    unsigned x = below(r, pref_total);
    int i;
    for (i = 0; i < 46 && x >= pref_weight[i]; i++) {
        x -= pref_weight[i];
    }
    return i;
}

static const char *pick_major(rng_t *r)
{
    unsigned x = below(r, major_total);
    size_t i;
    for (i = 0; i + 1 < N_OF(majors) && x >= majors[i].weight; i++) {
        x -= majors[i].weight;
    }
    return majors[i].code;
}

/* --- one declaration -------------------------------------------------------- */

typedef struct {
    const sa_refdata *ref;
    apr_array_header_t **middles;   /* per major letter - 'A': the codes of its middle groups */
    apr_int64_t end;                /* the newest declared_at */
    apr_int64_t total;              /* rows of this run */
} world_t;

/* The fixed permutation of 0 .. 9e9-1 onto the 10-digit numbers. */
static apr_int64_t number_of(uint64_t x)
{
    const uint64_t m = 9000000000ULL, a = 7777777777ULL, b = 1234567891ULL;
    return (apr_int64_t)((unsigned __int128)a * x % m + b) % (apr_int64_t)m + 1000000000LL;
}

typedef struct {
    const char **decl;     /* DECL_NCOLS values */
    const char **list;     /* LIST_NCOLS values */
    apr_array_header_t *grams;
    const char *kind;
} row_t;

static const char *person(apr_pool_t *p, rng_t *r, const word_t **sur, const word_t **given)
{
    *sur = pick_word(r, surnames, N_OF(surnames), surname_total);
    *given = pick_word(r, given_names, N_OF(given_names), given_total);
    return apr_pstrcat(p, (*sur)->w, chance(r, 50) ? " " : "　", (*given)->w, NULL);
}

/* A company stem and its reading, from name parts, kanji and katakana words. */
static void company_stem(apr_pool_t *p, rng_t *r, const char *major, const char **stem,
                         const char **kana)
{
    const word_t *part = pick_word(r, name_parts, N_OF(name_parts), part_total);
    const bizword_t *k1 = pick_biz(r, kanji_words, N_OF(kanji_words), major);
    const bizword_t *k2 = pick_biz(r, kanji_words, N_OF(kanji_words), "");
    const bizword_t *c1 = pick_biz(r, katakana_words, N_OF(katakana_words), major);
    const bizword_t *c2 = pick_biz(r, katakana_words, N_OF(katakana_words), "");
    unsigned shape = below(r, 100);
    if (k2 == k1) {
        k2 = &kanji_words[(k1 - kanji_words + 1) % N_OF(kanji_words)];
    }
    if (c2 == c1) {
        c2 = &katakana_words[(c1 - katakana_words + 1) % N_OF(katakana_words)];
    }
    if (shape < 35) {            /* 山田建設 */
        *stem = apr_pstrcat(p, part->w, k1->w, NULL);
        *kana = apr_pstrcat(p, part->kana, k1->kana, NULL);
    }
    else if (shape < 45) {       /* 東洋精機工業 */
        *stem = apr_pstrcat(p, part->w, k1->w, k2->w, NULL);
        *kana = apr_pstrcat(p, part->kana, k1->kana, k2->kana, NULL);
    }
    else if (shape < 60) {       /* 富士テクノ */
        *stem = apr_pstrcat(p, part->w, c1->w, NULL);
        *kana = apr_pstrcat(p, part->kana, c1->kana, NULL);
    }
    else if (shape < 75) {       /* サクラ電機 */
        *stem = apr_pstrcat(p, c2->w, k1->w, NULL);
        *kana = apr_pstrcat(p, c2->kana, k1->kana, NULL);
    }
    else if (shape < 85) {       /* グリーンライフ */
        *stem = apr_pstrcat(p, c2->w, c1->w, NULL);
        *kana = apr_pstrcat(p, c2->kana, c1->kana, NULL);
    }
    else if (shape < 95) {       /* 日本システム開発 */
        *stem = apr_pstrcat(p, part->w, c1->w, k2->w, NULL);
        *kana = apr_pstrcat(p, part->kana, c1->kana, k2->kana, NULL);
    }
    else {                       /* ミライ */
        *stem = c1->w;
        *kana = c1->kana;
    }
}

static const char *legal_name(apr_pool_t *p, rng_t *r, const char *stem, char *form_code)
{
    unsigned f = below(r, 100);
    if (f < 70) {
        *form_code = '1';
        return chance(r, 50) ? apr_pstrcat(p, "株式会社", stem, NULL)
                             : apr_pstrcat(p, stem, "株式会社", NULL);
    }
    if (f < 88) {
        *form_code = '2';
        return chance(r, 70) ? apr_pstrcat(p, stem, "有限会社", NULL)
                             : apr_pstrcat(p, "有限会社", stem, NULL);
    }
    *form_code = '3';
    return chance(r, 70) ? apr_pstrcat(p, "合同会社", stem, NULL)
                         : apr_pstrcat(p, stem, "合同会社", NULL);
}

static const char *corporate_number(apr_pool_t *p, rng_t *r, int pref, char form_code)
{
    char twelve[13];
    snprintf(twelve, sizeof twelve, "%02d%02u0%c%06u", pref + 1, below(r, 100), form_code,
             below(r, 1000000));
    return apr_psprintf(p, "%d%s", sa_corporate_check_digit(twelve), twelve);
}

static void die_invalid(const char *what, apr_array_header_t *errs, apr_int64_t id)
{
    int i;
    fprintf(stderr, "sa-seed: the %s of row %lld does not pass the module's rules:\n", what,
            (long long)id);
    for (i = 0; i < errs->nelts; i++) {
        sa_error *e = &APR_ARRAY_IDX(errs, i, sa_error);
        fprintf(stderr, "  %s: %s\n", e->field, e->message);
    }
    exit(70);
}

static const char *get(const apr_table_t *t, const char *k)
{
    const char *v = apr_table_get(t, k);
    return v && *v ? v : NULL;          /* the store writes "" as NULL */
}

enum { DECL_NCOLS = 36, LIST_NCOLS = 9 };

/* Makes row k (id) of this run. */
static void make_row(apr_pool_t *p, const world_t *w, uint64_t seed, apr_int64_t k,
                     apr_int64_t id, const char *user_no, const char *decl_no, row_t *out)
{
    rng_t r = { seed * 0xd1b54a32d192ed03ULL ^ (uint64_t)k * 0x9e3779b97f4a7c15ULL };
    apr_table_t *co_in = apr_table_make(p, 24), *co = apr_table_make(p, 24);
    apr_table_t *de_in = apr_table_make(p, 16), *de = apr_table_make(p, 16);
    apr_array_header_t *errs = apr_array_make(p, 4, sizeof(sa_error));
    const char *password, *names[5], *contact, *major, *middle = "", *email;
    const word_t *sur, *given;
    int pref, sole, level2, n = 0;
    const char **d, **l;
    apr_int64_t declared, created, accepted, slot;
    apr_array_header_t *mids;
    char form_code = '1';

    next64(&r);
    pref = pick_pref(&r);
    major = pick_major(&r);
    sole = chance(&r, 25);
    apr_table_setn(co_in, "kind", sole ? "sole" : "corp");
    if (sole) {
        const char *rep = person(p, &r, &sur, &given);
        apr_table_setn(co_in, "rep_name", rep);
        apr_table_setn(co_in, "rep_kana", apr_pstrcat(p, sur->kana, " ", given->kana, NULL));
        if (chance(&r, 60)) {
            const bizword_t *shop = pick_biz(&r, shop_words, N_OF(shop_words), major);
            const char *head = chance(&r, 75) ? sur->w
                               : katakana_words[below(&r, N_OF(katakana_words))].w;
            apr_table_setn(co_in, "trade_name", apr_pstrcat(p, head, shop->w, NULL));
        }
        contact = rep;
    }
    else {
        const char *stem, *kana;
        company_stem(p, &r, major, &stem, &kana);
        apr_table_setn(co_in, "corp_name", legal_name(p, &r, stem, &form_code));
        apr_table_setn(co_in, "corp_kana", kana);
        apr_table_setn(co_in, "corp_no", corporate_number(p, &r, pref, form_code));
        contact = person(p, &r, &sur, &given);
    }
    if (!sole ? chance(&r, 60) : chance(&r, 15)) {
        apr_table_setn(co_in, "url", apr_psprintf(p, "https://www.seed%" APR_INT64_T_FMT ".example/", (apr_int64_t)id));
    }
    apr_table_setn(co_in, "postal", apr_psprintf(p, "%03u-%04u", 10 + below(&r, 990), below(&r, 10000)));
    apr_table_setn(co_in, "pref", APR_ARRAY_IDX(w->ref->prefectures, pref, sa_refitem).code);
    {
        const char *const *cs = cities[pref];
        unsigned nc = 0;
        while (nc < 10 && cs[nc]) {
            nc++;
        }
        apr_table_setn(co_in, "city", apr_pstrcat(p, cs[below(&r, nc)],
                                                  towns[below(&r, N_OF(towns))], NULL));
    }
    apr_table_setn(co_in, "street", apr_psprintf(p, "%u-%u-%u", 1 + below(&r, 9), 1 + below(&r, 30),
                                                 1 + below(&r, 20)));
    if (chance(&r, 35)) {
        apr_table_setn(co_in, "building", apr_psprintf(p, "%sビル%uF",
                       name_parts[below(&r, N_OF(name_parts))].w, 1 + below(&r, 9)));
    }
    if (sole && chance(&r, 50)) {
        apr_table_setn(co_in, "phone", apr_psprintf(p, "0%u0-%04u-%04u", 7 + below(&r, 3),
                                                    below(&r, 10000), below(&r, 10000)));
    }
    else {
        const char *area = area_codes[pref];
        int local = 6 - (int)strlen(area);     /* the exchange's digits */
        apr_table_setn(co_in, "phone", apr_psprintf(p, "%s-%0*u-%04u", area, local,
                                                    (local == 4 ? 2000 : local == 3 ? 200 : 20)
                                                    + below(&r, local == 4 ? 8000 : local == 3 ? 800 : 80),
                                                    below(&r, 10000)));
    }
    apr_table_setn(co_in, "jsic_major", major);
    mids = w->middles[major[0] - 'A'];
    if (mids && mids->nelts && chance(&r, 60)) {
        middle = APR_ARRAY_IDX(mids, below(&r, (unsigned)mids->nelts), const char *);
        apr_table_setn(co_in, "jsic_middle", middle);
    }
    if (chance(&r, 20)) {
        const char *pn = APR_ARRAY_IDX(w->ref->prefectures, pref, sa_refitem).name;
        apr_table_setn(co_in, "member", "yes");
        apr_table_setn(co_in, "member_name", apr_pstrcat(p, pn, member_orgs[below(&r, N_OF(member_orgs))], NULL));
    }
    else {
        apr_table_setn(co_in, "member", "no");
    }
    apr_table_setn(co_in, "ipa_info", chance(&r, 40) ? "yes" : "no");
    apr_table_setn(co_in, "password", "Seed-Passw0rd");
    apr_table_setn(co_in, "password2", "Seed-Passw0rd");
    if (sa_company_validate(p, w->ref, co_in, co, &password, errs)) {
        die_invalid("事業者情報", errs, id);
    }

    level2 = chance(&r, 18);
    email = apr_psprintf(p, "seed%" APR_INT64_T_FMT "@example.invalid", (apr_int64_t)id);
    apr_table_setn(de_in, "level", level2 ? "2" : "1");
    {
        unsigned x = below(&r, 100);
        apr_table_setn(de_in, "purpose", x < 25 ? "1" : x < 40 ? "2" : x < 90 ? "3" : "4");
    }
    if (level2) {
        apr_table_setn(de_in, "score", chance(&r, 80) ? apr_psprintf(p, "%u", 40 + below(&r, 61)) : "");
        apr_table_addn(de_in, "publish", "web");
        if (chance(&r, 30)) {
            apr_table_addn(de_in, "publish", chance(&r, 50) ? "brochure" : "other");
        }
    }
    apr_table_setn(de_in, "pledge", "1");
    apr_table_setn(de_in, "privacy", "1");
    apr_table_setn(de_in, "contact_name", contact);
    apr_table_setn(de_in, "email", email);
    apr_table_setn(de_in, "email2", email);
    if (chance(&r, 40)) {
        apr_table_addn(de_in, "survey", apr_psprintf(p, "%u", 1 + below(&r, 11)));
        if (chance(&r, 30)) {
            apr_table_addn(de_in, "survey", "8");
        }
    }
    if (sa_declaration_validate(p, NULL, de_in, de, errs)) {
        die_invalid("自己宣言", errs, id);
    }

    /* the k-th of total slots of the three years, newest last */
    slot = SPAN_SECS / (w->total ? w->total : 1);
    declared = w->end - SPAN_SECS + k * SPAN_SECS / (w->total ? w->total : 1)
               + (slot > 1 ? (apr_int64_t)(next64(&r) % (uint64_t)slot) : 0);
    created = declared - (chance(&r, 85) ? 60 + below(&r, 3600) : 3600 + below(&r, 2 * 86400));
    accepted = declared + 600 + below(&r, 5 * 86400);
    if (accepted > w->end) {
        accepted = w->end > declared ? w->end : declared;
    }

    d = out->decl = apr_palloc(p, sizeof(char *) * DECL_NCOLS);
    d[n++] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)id);
    {
        char sub[48];         /* apr_psprintf knows no %llx */
        snprintf(sub, sizeof sub, "seed-%012llx%016llx", (unsigned long long)id,
                 (unsigned long long)next64(&r));     /* in id order: appended to its index */
        d[n++] = apr_pstrdup(p, sub);
    }
    d[n++] = get(de, "level");
    d[n++] = get(co, "kind");
    d[n++] = get(co, "corp_no");
    d[n++] = get(co, "corp_name");
    d[n++] = get(co, "corp_kana");
    d[n++] = get(co, "rep_name");
    d[n++] = get(co, "rep_kana");
    d[n++] = get(co, "trade_name");
    d[n++] = get(co, "url");
    d[n++] = get(co, "postal");
    d[n++] = get(co, "pref");
    d[n++] = get(co, "city");
    d[n++] = get(co, "street");
    d[n++] = get(co, "building");
    d[n++] = get(co, "phone");
    d[n++] = get(co, "jsic_major");
    d[n++] = get(co, "jsic_middle");
    d[n++] = get(co, "member");
    d[n++] = get(co, "member_name");
    d[n++] = get(co, "ipa_info");
    d[n++] = get(de, "purpose");
    d[n++] = get(de, "score");
    d[n++] = get(de, "publish");
    d[n++] = get(de, "contact_name");
    d[n++] = get(de, "email");
    d[n++] = get(de, "survey");
    d[n++] = SEED_PASSWORD_HASH;
    d[n++] = user_no;
    d[n++] = decl_no;
    d[n++] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)created);
    d[n++] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)declared);
    d[n++] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)accepted);
    d[n++] = sa_email_key(p, get(de, "email"));
    d[n++] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)accepted);
    (void)password;

    /* the listing, as the store's write_listing makes it */
    names[0] = get(co, "corp_name"); names[1] = get(co, "corp_kana"); names[2] = get(co, "rep_name");
    names[3] = get(co, "rep_kana"); names[4] = get(co, "trade_name");
    out->grams = apr_array_make(p, 32, sizeof(const char *));
    l = out->list = apr_palloc(p, sizeof(char *) * LIST_NCOLS);
    l[0] = d[0];
    l[1] = decl_no;
    l[2] = sa_display_name(p, get(co, "kind"), names[0], names[2], names[4]);
    l[3] = get(co, "pref");
    l[4] = get(co, "city");
    l[5] = get(co, "jsic_major");
    l[6] = get(de, "level");
    l[7] = d[32];
    l[8] = sa_listing_text(p, names, 5, out->grams);
    out->kind = get(co, "kind");
}

/* --- the database ---------------------------------------------------------------- */

static batch_t decl_batch = {
    "declaration",
    "INSERT INTO declaration (id, submission_key, state, level, kind, corp_no, corp_name, corp_kana,"
    " rep_name, rep_kana, trade_name, url, postal, pref, city, street, building, phone, jsic_major,"
    " jsic_middle, member, member_name, ipa_info, purpose, score, publish, contact_name, email,"
    " survey, password_hash, user_no, declaration_no, created_at, declared_at, accepted_at,"
    " email_key, updated_at, version, login_failures, login_last_failure, login_locked_until)",
    "(%lld, %s, 'accepted', %lld, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s, %s, %s, %lld, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %s, %lld, 2, 0, 0, 0)",
    DECL_NCOLS, DECL_BATCH, { 0 }, NULL
};
static batch_t list_batch = {
    "listing",
    "INSERT INTO public_listing (declaration_id, declaration_no, name, pref, city, jsic_major,"
    " level, declared_at, search_text)",
    "(%lld, %s, %s, %s, %s, %s, %lld, %lld, %s)",
    LIST_NCOLS, LIST_BATCH, { 0 }, NULL
};
static batch_t gram_batch = {
    "gram",
    "INSERT INTO listing_gram (gram, declaration_id, pref)",
    "(%s, %lld, %s)",
    3, GRAM_BATCH, { 0 }, NULL
};

/* Numbers already used by rows the module made (seeded ones cannot clash:
 * they come from the permutation of distinct ids). */
static apr_hash_t *numbers_in_use(db_t *db, apr_pool_t *p)
{
    apr_hash_t *used = apr_hash_make(p);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *sql = "SELECT user_no, declaration_no FROM declaration"
                      " WHERE submission_key NOT LIKE 'seed-%'";
    int rv = apr_dbd_select(db->drv, p, db->h, &res, sql, 0), i;
    if (rv) {
        die_db(db, rv, sql);
    }
    while (apr_dbd_get_row(db->drv, p, res, &row, -1) == 0) {
        for (i = 0; i < 2; i++) {
            const char *v = apr_dbd_get_entry(db->drv, row, i);
            if (v && *v) {
                apr_hash_set(used, apr_pstrdup(p, v), APR_HASH_KEY_STRING, "");
            }
        }
    }
    return used;
}

/* An unused number: the permutation of x, or else (a clash with a number
 * the module drew) a free one from the upper half of the space. */
static const char *number(apr_pool_t *p, apr_pool_t *keep, apr_hash_t *used, uint64_t x, rng_t *r)
{
    const char *s = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)number_of(x));
    while (apr_hash_get(used, s, APR_HASH_KEY_STRING)) {
        s = apr_psprintf(keep, "%" APR_INT64_T_FMT, (apr_int64_t)number_of(4500000000ULL + next64(r) % 4500000000ULL));
        if (!apr_hash_get(used, s, APR_HASH_KEY_STRING)) {
            apr_hash_set(used, s, APR_HASH_KEY_STRING, "");
            break;
        }
    }
    return s;
}

/* A gram row, sorted by (gram, id) before the INSERT so that the index
 * pages of each gram are filled in order (much less B-tree work). */
typedef struct { const char *gram, *id, *pref; apr_int64_t n; } gram_row_t;

static int gram_cmp(const void *a, const void *b)
{
    const gram_row_t *x = a, *y = b;
    int c = strcmp(x->gram, y->gram);
    return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

/* --- making the rows while the last ones are written ------------------------------ */

/* One transaction's rows: the values of its declarations, listings and
 * grams (3 a row: gram, id, pref), in a pool of their own. */
typedef struct {
    apr_pool_t *pool;
    apr_int64_t k0, m;
    const char **dargs, **largs;
    apr_array_header_t *grams;
    int full;
} chunk_t;

typedef struct {
    const world_t *w;
    uint64_t seed;
    apr_int64_t first, n, txn_rows;
    apr_hash_t *used;           /* the producer's alone, as is keep */
    apr_pool_t *keep;
    chunk_t slot[2];
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cv;
    apr_time_t t_gen;
} producer_t;

/* A pool with an allocator of its own, so that two threads can allocate. */
static apr_pool_t *own_pool(void)
{
    apr_allocator_t *a;
    apr_pool_t *p;
    apr_allocator_create(&a);
    apr_pool_create_ex(&p, NULL, NULL, a);
    apr_allocator_owner_set(a, p);
    return p;
}

static void fill_chunk(producer_t *pr, chunk_t *c, apr_int64_t k0)
{
    apr_int64_t m = pr->n - k0 < pr->txn_rows ? pr->n - k0 : pr->txn_rows, j;
    apr_pool_t *p = c->pool;
    c->k0 = k0;
    c->m = m;
    c->dargs = apr_palloc(p, sizeof(char *) * DECL_NCOLS * (apr_size_t)m);
    c->largs = apr_palloc(p, sizeof(char *) * LIST_NCOLS * (apr_size_t)m);
    c->grams = apr_array_make(p, (int)m * 24, sizeof(gram_row_t));
    for (j = 0; j < m; j++) {
        apr_int64_t id = pr->first + k0 + j;
        rng_t r = { (uint64_t)id };
        row_t row;
        int g;
        make_row(p, pr->w, pr->seed, k0 + j, id,
                 number(p, pr->keep, pr->used, 2 * (uint64_t)id, &r),
                 number(p, pr->keep, pr->used, 2 * (uint64_t)id + 1, &r), &row);
        memcpy(c->dargs + j * DECL_NCOLS, row.decl, sizeof(char *) * DECL_NCOLS);
        memcpy(c->largs + j * LIST_NCOLS, row.list, sizeof(char *) * LIST_NCOLS);
        for (g = 0; g < row.grams->nelts; g++) {
            gram_row_t *gr = &APR_ARRAY_PUSH(c->grams, gram_row_t);
            gr->gram = APR_ARRAY_IDX(row.grams, g, const char *);
            gr->id = row.list[0];
            gr->pref = row.list[3];
            gr->n = id;
        }
    }
    qsort(c->grams->elts, (size_t)c->grams->nelts, sizeof(gram_row_t), gram_cmp);
}

static void *APR_THREAD_FUNC produce(apr_thread_t *t, void *arg)
{
    producer_t *pr = arg;
    apr_int64_t k;
    int i;
    for (k = 0, i = 0; k < pr->n; k += pr->txn_rows, i ^= 1) {
        chunk_t *c = &pr->slot[i];
        apr_time_t t0;
        apr_thread_mutex_lock(pr->mu);
        while (c->full) {
            apr_thread_cond_wait(pr->cv, pr->mu);
        }
        apr_thread_mutex_unlock(pr->mu);
        t0 = apr_time_now();
        apr_pool_clear(c->pool);
        fill_chunk(pr, c, k);
        pr->t_gen += apr_time_now() - t0;
        apr_thread_mutex_lock(pr->mu);
        c->full = 1;
        apr_thread_cond_broadcast(pr->cv);
        apr_thread_mutex_unlock(pr->mu);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Gram rows as statement values: gram, id, pref for each. */
static const char **gram_values(apr_pool_t *p, const apr_array_header_t *grams)
{
    const char **v = apr_palloc(p, sizeof(char *) * 3 * (apr_size_t)(grams->nelts ? grams->nelts : 1));
    int i;
    for (i = 0; i < grams->nelts; i++) {
        const gram_row_t *g = &APR_ARRAY_IDX(grams, i, gram_row_t);
        v[3 * i] = g->gram;
        v[3 * i + 1] = g->id;
        v[3 * i + 2] = g->pref;
    }
    return v;
}

static apr_int64_t end_of_span(void)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    apr_int64_t now = sde && *sde ? apr_atoi64(sde) : (apr_int64_t)time(NULL);
    /* today's midnight in Japan: the same data all day long */
    return (now + JST) / 86400 * 86400 - JST;
}

/* --- secondary indexes ------------------------------------------------------------- */

/* A large seed drops the secondary indexes of the three tables and builds
 * them again at the end (a sort, several times faster than keeping them up
 * to date row by row).  Their definitions wait in sa_seed_index meanwhile,
 * written in the transaction that drops them: a run that was killed leaves
 * them there, and the next run (of any size) builds them first. */
#define INDEX_TABLE "sa_seed_index"
#define DROP_AT_LEAST 50000

static const char *index_defs_sql(const db_t *db)
{
    return db->pg
        ? "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
          " AND tablename IN ('declaration', 'public_listing', 'listing_gram')"
          " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        : "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
          " AND tbl_name IN ('declaration', 'public_listing', 'listing_gram')";
}

/* Rows (name, sql) of a query. */
static apr_array_header_t *pairs(db_t *db, apr_pool_t *p, const char *sql)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv = apr_dbd_select(db->drv, p, db->h, &res, sql, 0);
    if (rv) {
        die_db(db, rv, sql);
    }
    while (apr_dbd_get_row(db->drv, p, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(out, const char *) = apr_pstrdup(p, apr_dbd_get_entry(db->drv, row, 0));
        APR_ARRAY_PUSH(out, const char *) = apr_pstrdup(p, apr_dbd_get_entry(db->drv, row, 1));
    }
    return out;
}

static int index_table_exists(db_t *db, apr_pool_t *p)
{
    return *scalar(db, p, db->pg
                   ? "SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
                     " AND tablename = '" INDEX_TABLE "'"
                   : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '" INDEX_TABLE "'") != '\0';
}

/* Builds the indexes a run dropped (this one or a killed one). */
static void restore_indexes(db_t *db, apr_pool_t *p)
{
    apr_array_header_t *defs;
    apr_dbd_transaction_t *txn = NULL;
    apr_time_t t0 = apr_time_now();
    int i, rv;
    if (!index_table_exists(db, p)) {
        return;
    }
    defs = pairs(db, p, "SELECT name, sql FROM " INDEX_TABLE);
    if ((rv = apr_dbd_transaction_start(db->drv, p, db->h, &txn)) != 0) {
        die_db(db, rv, "begin");
    }
    for (i = 0; i < defs->nelts; i += 2) {
        exec_sql(db, APR_ARRAY_IDX(defs, i + 1, const char *));
    }
    exec_sql(db, "DROP TABLE " INDEX_TABLE);
    if ((rv = apr_dbd_transaction_end(db->drv, p, txn)) != 0) {
        die_db(db, rv, "commit");
    }
    if (defs->nelts) {
        fprintf(stderr, "sa-seed: built %d indexes again in %.1f s\n", defs->nelts / 2,
                (double)(apr_time_now() - t0) / 1e6);
    }
}

/* The listing's counts (listing_count, see core/sa_search.h) counted
 * again from every posting, in one transaction that first takes the row
 * of the whole count, as the module's writers do: done after the rows are
 * in (counting them as they go would cost more than writing them), so a
 * run killed before the end leaves counts behind the rows until the next
 * run.  The generation row (pref '#') is kept and moved on. */
static void rebuild_counts(db_t *db, apr_pool_t *p)
{
    apr_dbd_transaction_t *txn = NULL;
    apr_time_t t0 = apr_time_now();
    int rv;
    if ((rv = apr_dbd_transaction_start(db->drv, p, db->h, &txn)) != 0) {
        die_db(db, rv, "begin");
    }
    exec_sql(db, "UPDATE listing_count SET n = n + 1 WHERE gram = '' AND pref = '#'");
    exec_sql(db, "DELETE FROM listing_count WHERE pref <> '#'");
    exec_sql(db, "INSERT INTO listing_count (gram, pref, n)"
                 " SELECT gram, pref, COUNT(*) FROM listing_gram GROUP BY gram, pref");
    exec_sql(db, "INSERT INTO listing_count (gram, pref, n)"
                 " SELECT gram, '', COUNT(*) FROM listing_gram GROUP BY gram");
    if ((rv = apr_dbd_transaction_end(db->drv, p, txn)) != 0) {
        die_db(db, rv, "commit");
    }
    fprintf(stderr, "sa-seed: counted the grams again in %.1f s\n", (double)(apr_time_now() - t0) / 1e6);
}

static void drop_indexes(db_t *db, apr_pool_t *p)
{
    apr_array_header_t *defs = pairs(db, p, index_defs_sql(db));
    apr_dbd_transaction_t *txn = NULL;
    apr_dbd_prepared_t *ins = NULL;
    int i, rv, n;
    if ((rv = apr_dbd_transaction_start(db->drv, p, db->h, &txn)) != 0) {
        die_db(db, rv, "begin");
    }
    exec_sql(db, "CREATE TABLE " INDEX_TABLE " (name TEXT PRIMARY KEY, sql TEXT NOT NULL)");
    if ((rv = apr_dbd_prepare(db->drv, p, db->h, "INSERT INTO " INDEX_TABLE " (name, sql) VALUES (%s, %s)",
                              "sa_seed_index_ins", &ins)) != 0) {
        die_db(db, rv, "prepare");
    }
    for (i = 0; i < defs->nelts; i += 2) {
        const char **a = &APR_ARRAY_IDX(defs, i, const char *);
        if ((rv = apr_dbd_pquery(db->drv, p, db->h, &n, ins, 2, a)) != 0) {
            die_db(db, rv, "keep an index definition");
        }
    }
    /* after the INSERTs: SQLite's statements expire with the schema */
    for (i = 0; i < defs->nelts; i += 2) {
        exec_sql(db, apr_pstrcat(p, "DROP INDEX ", APR_ARRAY_IDX(defs, i, const char *), NULL));
    }
    if ((rv = apr_dbd_transaction_end(db->drv, p, txn)) != 0) {
        die_db(db, rv, "commit");
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: sa-seed sqlite3|pgsql PARAMS N [--seed S]\n");
    exit(64);
}

static double seconds_since(apr_time_t t0)
{
    return (double)(apr_time_now() - t0) / 1e6;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool, *chunk;
    db_t db = { "sa-seed", NULL, NULL, NULL, 0 };
    world_t w = { 0 };
    sa_refdata *ref;
    const char *err, *driver, *params, *datadir = getenv("SA_DATA_DIR");
    apr_int64_t n, first, k, grams = 0;
    uint64_t seed = 1;
    apr_hash_t *used;
    apr_time_t t0, t_gen = 0, t_db = 0;
    apr_int64_t txn_rows;
    apr_pool_t *keep;
    apr_thread_t *thread = NULL;
    producer_t pr = { 0 };
    int rv, i;

    if (argc != 4 && argc != 6) {
        usage();
    }
    driver = argv[1];
    params = argv[2];
    if (!*argv[3] || strspn(argv[3], "0123456789") != strlen(argv[3])) {
        usage();
    }
    n = apr_atoi64(argv[3]);
    if (argc == 6) {
        if (strcmp(argv[4], "--seed")) {
            usage();
        }
        seed = (uint64_t)strtoull(argv[5], NULL, 10);
    }
    if (strcmp(driver, "sqlite3") && strcmp(driver, "pgsql")) {
        usage();
    }
    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    apr_pool_create(&chunk, pool);
    if ((err = sa_refdata_load(pool, datadir ? datadir : SA_SEED_DATA_DIR, &ref)) != NULL) {
        fprintf(stderr, "sa-seed: %s\n", err);
        return 66;
    }
    if (ref->prefectures->nelts != 47) {
        fprintf(stderr, "sa-seed: prefectures.tsv has %d prefectures, not 47\n", ref->prefectures->nelts);
        return 65;
    }
    w.ref = ref;
    w.middles = apr_pcalloc(pool, sizeof(apr_array_header_t *) * 26);
    for (i = 0; i < ref->jsic_middle->nelts; i++) {
        const sa_refitem *m = &APR_ARRAY_IDX(ref->jsic_middle, i, sa_refitem);
        int at = m->parent[0] - 'A';
        if (at >= 0 && at < 26) {
            if (!w.middles[at]) {
                w.middles[at] = apr_array_make(pool, 8, sizeof(const char *));
            }
            APR_ARRAY_PUSH(w.middles[at], const char *) = m->code;
        }
    }
    for (i = 0; i < 47; i++) {
        pref_total += pref_weight[i];
    }
    for (i = 0; i < (int)N_OF(majors); i++) {
        major_total += majors[i].weight;
    }
    surname_total = total_weight(surnames, N_OF(surnames));
    given_total = total_weight(given_names, N_OF(given_names));
    part_total = total_weight(name_parts, N_OF(name_parts));
    w.end = end_of_span();
    w.total = n;

    db_open(&db, pool, driver, params);
    if (apr_atoi64(scalar(&db, pool, "SELECT COALESCE(MAX(version), 0) FROM schema_version")) < 9) {
        fprintf(stderr, "sa-seed: the schema is older than version 9 (run bin/sa-dbinit first)\n");
        return 65;
    }
    if (db.pg) {
        exec_sql(&db, "SET synchronous_commit = off");
        first = apr_atoi64(scalar(&db, pool, "SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM declaration),"
                                  " (SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
                                  " FROM declaration_id_seq))")) + 1;
    }
    else {
        exec_sql(&db, "PRAGMA synchronous = OFF");
        exec_sql(&db, "PRAGMA cache_size = -524288");    /* 512 MiB */
        exec_sql(&db, "PRAGMA temp_store = MEMORY");
        first = apr_atoi64(scalar(&db, pool, "SELECT MAX(COALESCE((SELECT MAX(id) FROM declaration), 0),"
                                  " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'declaration'), 0))"))
                + 1;
    }
    keep = own_pool();
    used = numbers_in_use(&db, keep);
    restore_indexes(&db, pool);
    if (n >= DROP_AT_LEAST && !getenv("SA_SEED_KEEP_INDEXES")) {
        drop_indexes(&db, pool);
    }
    txn_rows = db.pg ? 10000 : 50000;

    pr.w = &w;
    pr.seed = seed;
    pr.first = first;
    pr.n = n;
    pr.txn_rows = txn_rows;
    pr.used = used;
    pr.keep = keep;
    pr.slot[0].pool = own_pool();
    pr.slot[1].pool = own_pool();
    apr_thread_mutex_create(&pr.mu, APR_THREAD_MUTEX_DEFAULT, pool);
    apr_thread_cond_create(&pr.cv, pool);
    t0 = apr_time_now();
    if (n > 0 && (rv = apr_thread_create(&thread, NULL, produce, &pr, pool)) != APR_SUCCESS) {
        fprintf(stderr, "sa-seed: cannot start a thread\n");
        return 71;
    }
    for (k = 0, i = 0; k < n; i ^= 1) {
        chunk_t *c = &pr.slot[i];
        apr_dbd_transaction_t *txn = NULL;
        apr_time_t t1;
        apr_thread_mutex_lock(pr.mu);
        while (!c->full) {
            apr_thread_cond_wait(pr.cv, pr.mu);
        }
        apr_thread_mutex_unlock(pr.mu);
        t1 = apr_time_now();
        if ((rv = apr_dbd_transaction_start(db.drv, chunk, db.h, &txn)) != 0) {
            die_db(&db, rv, "begin");
        }
        /* in the order of the foreign keys: declaration, listing, grams */
        batch_insert(&db, chunk, &decl_batch, c->dargs, (int)c->m);
        batch_insert(&db, chunk, &list_batch, c->largs, (int)c->m);
        batch_insert(&db, chunk, &gram_batch, gram_values(chunk, c->grams), c->grams->nelts);
        if ((rv = apr_dbd_transaction_end(db.drv, chunk, txn)) != 0) {
            die_db(&db, rv, "commit");
        }
        t_db += apr_time_now() - t1;
        grams += c->grams->nelts;
        k += c->m;
        apr_thread_mutex_lock(pr.mu);
        c->full = 0;
        apr_thread_cond_broadcast(pr.cv);
        apr_thread_mutex_unlock(pr.mu);
        if (k % 100000 == 0 || k == n) {
            double sec = seconds_since(t0);
            fprintf(stderr, "sa-seed: %lld/%lld declarations, %lld grams, %.1f s (%.0f rows/s)\n",
                    (long long)k, (long long)n, (long long)grams, sec, sec > 0 ? (double)k / sec : 0.0);
        }
        apr_pool_clear(chunk);
    }
    if (n > 0) {
        apr_status_t trv;
        apr_thread_join(&trv, thread);
    }
    t_gen = pr.t_gen;
    restore_indexes(&db, pool);
    if (n > 0) {
        rebuild_counts(&db, pool);
    }
    if (db.pg && n > 0) {
        apr_time_t t1 = apr_time_now();
        exec_sql(&db, "SELECT setval(pg_get_serial_sequence('declaration', 'id'),"
                      " (SELECT MAX(id) FROM declaration))");
        exec_sql(&db, "VACUUM ANALYZE declaration");
        exec_sql(&db, "VACUUM ANALYZE public_listing");
        exec_sql(&db, "VACUUM ANALYZE listing_gram");
        exec_sql(&db, "VACUUM ANALYZE listing_count");
        fprintf(stderr, "sa-seed: VACUUM ANALYZE %.1f s\n", seconds_since(t1));
    }
    else if (n > 0) {
        scalar(&db, pool, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    fprintf(stderr, "sa-seed: making rows %.1f s (a thread of its own), writing them %.1f s\n", (double)t_gen / 1e6,
            (double)t_db / 1e6);
    printf("sa-seed: added %lld declarations (ids %lld..%lld, seed %llu) with %lld grams in %.1f s\n",
           (long long)n, (long long)first, (long long)(first + n - 1), (unsigned long long)seed,
           (long long)grams, seconds_since(t0));
    apr_dbd_close(db.drv, db.h);
    return 0;
}
