"""Writes N made-up rows in the layout of the NTA's 全件データ CSV (Unicode)
to standard output, for measuring bin/sa-houjin-import at scale:

    python3 tests/houjin_gen.py 500000 > var/houjin-500k.csv

Numbers are consecutive with valid check digits; names, prefectures and
addresses cycle through small lists."""
import sys

PREFS = [("13", "東京都", "千代田区", "1000001"), ("27", "大阪府", "大阪市北区", "5300001"),
         ("01", "北海道", "札幌市中央区", "0600001"), ("23", "愛知県", "名古屋市中区", "4600001"),
         ("40", "福岡県", "福岡市博多区", "8120011")]
KINDS = [("株式会社", "301"), ("有限会社", "302"), ("合同会社", "305")]
WORDS = ["テスト", "さくら", "みなと", "ひかり", "あおば", "やまと", "つばさ", "みらい"]
KANA = ["テスト", "サクラ", "ミナト", "ヒカリ", "アオバ", "ヤマト", "ツバサ", "ミライ"]


def check_digit(twelve):
    s = sum(int(twelve[12 - n]) * (1 if n % 2 else 2) for n in range(1, 13))
    return str(9 - s % 9)


def main():
    n = int(sys.argv[1])
    out = sys.stdout
    for i in range(1, n + 1):
        body = "%012d" % (100000000000 + i)
        no = check_digit(body) + body
        code, pref, city, post = PREFS[i % len(PREFS)]
        kind, kcode = KINDS[i % len(KINDS)]
        w = i % len(WORDS)
        name = "%s%s%s%d" % (kind, WORDS[w], "商事", i)
        out.write('%d,%s,01,0,2024-05-31,2015-10-05,"%s",,%s,"%s","%s","丸の内%d丁目%d－%d",,%s,101,'
                  '%s,,,,,,,2015-10-05,1,,,,,"%sショウジ%d",0\n'
                  % (i, no, name, kcode, pref, city, i % 9 + 1, i % 30 + 1, i % 20 + 1, code,
                     post, KANA[w], i))


if __name__ == "__main__":
    main()
