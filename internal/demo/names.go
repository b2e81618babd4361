package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// region is where a demo customer lives: the currency they pay in, how
// their names, phone numbers and companies look, and how they pay.
type region struct {
	currency string
	unit     int64 // minor units of the currency worth about one US dollar
	people   func(r *rand.Rand) (name, emailUser string)
	phone    func(r *rand.Rand) string
	domains  []string // all reserved for examples, never real mailboxes
	company  []string
	methods  []string // payment method codes, most used first
	topups   []int64  // round top-up amounts in the major unit
	business []int64  // the same for business customers
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// digits returns n random decimal digits.
func digits(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

var asciiName = strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ü", "ue", "ö", "oe", "ä", "ae", "í", "i", "ó", "o", "á", "a", "ñ", "n", "ç", "c", "ß", "ss", " ", "")

var regions = []region{
	{
		currency: "USD", unit: 100,
		people: func(r *rand.Rand) (string, string) {
			f := pick(r, []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
				"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Daniel", "Karen", "Matthew", "Nancy",
				"Anthony", "Lisa", "Mark", "Ashley", "Steven", "Emily", "Kevin", "Olivia"})
			l := pick(r, []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
				"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark",
				"Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Nguyen"})
			return f + " " + l, strings.ToLower(f + "." + l)
		},
		// 555-0100 to 555-0199 are the numbers set aside for fiction.
		phone: func(r *rand.Rand) string {
			return fmt.Sprintf("+1 (%s) 555-01%s", pick(r, []string{"212", "312", "415", "512", "617", "702", "206", "303", "404", "713", "818", "917"}), digits(r, 2))
		},
		domains: []string{"example.com", "example.net", "example.org"},
		company: []string{"Blue Harbor Trading LLC", "Summit Fulfillment Inc.", "Redwood Textiles", "Lakeside Pharmacy", "Brightpath SMS",
			"Granite Logistics", "Maple Street Bakery", "Northstar Electronics", "Pioneer Outdoor Supply", "Silver Oak Wines"},
		methods:  []string{"bank_transfer", "card", "cash", "alipay"},
		topups:   []int64{20, 50, 50, 100, 100, 200, 300},
		business: []int64{500, 1000, 2000, 2000, 5000},
	},
	{
		currency: "EUR", unit: 92,
		people: func(r *rand.Rand) (string, string) {
			f := pick(r, []string{"Lukas", "Emma", "Léa", "Hugo", "Sofia", "Marco", "Lucía", "Pablo", "Anna", "Felix", "Chloé", "Matteo",
				"Giulia", "Jonas", "Inès", "Louis", "Clara", "Mateo", "Hannah", "Elias"})
			l := pick(r, []string{"Müller", "Schmidt", "Schneider", "Fischer", "Dubois", "Martin", "Bernard", "Lefebvre", "Moreau", "García",
				"Fernández", "López", "Rossi", "Russo", "Ferrari", "Bianchi", "Weber", "Wagner", "Janssen", "De Vries"})
			return f + " " + l, strings.ToLower(asciiName.Replace(f) + "." + asciiName.Replace(l))
		},
		phone: func(r *rand.Rand) string {
			switch r.IntN(4) {
			case 0:
				return "+49 151 " + digits(r, 8)
			case 1:
				return "+33 6 " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2) + " " + digits(r, 2)
			case 2:
				return "+34 6" + digits(r, 2) + " " + digits(r, 3) + " " + digits(r, 3)
			default:
				return "+39 3" + digits(r, 2) + " " + digits(r, 7)
			}
		},
		domains: []string{"example.com", "example.net", "example.org"},
		company: []string{"Nordwind Handels GmbH", "Atelier Lumière SARL", "Costa Verde Distribución S.L.", "Fratelli Conti S.r.l.",
			"Rheinlager Logistik GmbH", "Boulangerie du Parc", "Hanse Mobile Messaging", "Vinícola Serrano", "Polder Print B.V."},
		methods:  []string{"bank_transfer", "card", "cash"},
		topups:   []int64{20, 50, 50, 100, 100, 200, 250},
		business: []int64{500, 1000, 2000, 2500, 5000},
	},
	{
		currency: "CNY", unit: 720,
		people: func(r *rand.Rand) (string, string) {
			i, j := r.IntN(len(cnSurnames)), r.IntN(len(cnGiven))
			return cnSurnames[i][0] + cnGiven[j][0], cnGiven[j][1] + "." + cnSurnames[i][1]
		},
		phone: func(r *rand.Rand) string {
			return "+86 1" + pick(r, []string{"38", "39", "50", "58", "86", "88", "35", "37"}) + " " + digits(r, 4) + " " + digits(r, 4)
		},
		domains: []string{"example.cn", "example.com"},
		company: []string{"杭州云联科技有限公司", "深圳市华信物流有限公司", "上海佳禾贸易有限公司", "成都蓝海网络科技有限公司",
			"广州优品电子商务有限公司", "北京星河短信服务有限公司", "苏州恒达仓储有限公司"},
		methods:  []string{"alipay", "wechat_pay", "wechat_pay", "bank_transfer", "cash"},
		topups:   []int64{100, 200, 300, 500, 500, 1000, 2000},
		business: []int64{5000, 10000, 20000, 20000, 50000},
	},
	{
		currency: "JPY", unit: 150,
		people: func(r *rand.Rand) (string, string) {
			f := pick(r, []string{"Hiroshi", "Yuki", "Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Kenji", "Mei",
				"Daiki", "Rin", "Shota", "Akari"})
			l := pick(r, []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato",
				"Yoshida", "Yamada", "Sasaki", "Matsumoto"})
			return l + " " + f, strings.ToLower(f + "." + l)
		},
		phone: func(r *rand.Rand) string {
			return "+81 " + pick(r, []string{"90", "80", "70"}) + "-" + digits(r, 4) + "-" + digits(r, 4)
		},
		domains:  []string{"example.jp", "example.com"},
		company:  []string{"Kita Shoji K.K.", "Sakura Logistics Co., Ltd.", "Midori Foods", "Tokai Print Works", "Hoshi Mobile Service"},
		methods:  []string{"bank_transfer", "card", "cash"},
		topups:   []int64{3000, 5000, 10000, 10000, 20000, 30000},
		business: []int64{50000, 100000, 200000, 300000},
	},
}

// Chinese names with their pinyin, for email addresses.
var cnSurnames = [][2]string{{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"},
	{"黄", "huang"}, {"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"}, {"徐", "xu"}, {"孙", "sun"}, {"马", "ma"}, {"朱", "zhu"},
	{"胡", "hu"}, {"郭", "guo"}, {"何", "he"}, {"林", "lin"}, {"罗", "luo"}, {"高", "gao"}}

var cnGiven = [][2]string{{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"磊", "lei"}, {"军", "jun"},
	{"燕", "yan"}, {"涛", "tao"}, {"明", "ming"}, {"秀英", "xiuying"}, {"浩然", "haoran"}, {"杰", "jie"}, {"丽娜", "lina"},
	{"勇", "yong"}, {"强", "qiang"}, {"兰", "lan"}, {"平", "ping"}, {"子涵", "zihan"}, {"欣怡", "xinyi"}}

// What the customer's business buys with their prepaid money decides how
// their charges look.
type trade struct {
	reference func(r *rand.Rand, n int) string
	note      func(r *rand.Rand) string
	byProgram bool // charges come from the business's own system over the API
}

var trades = []trade{
	{ // a warehouse bills storage and fulfilment (G)
		reference: func(r *rand.Rand, n int) string {
			if r.IntN(3) == 0 {
				return fmt.Sprintf("STO-%06d", n)
			}
			return fmt.Sprintf("FUL-%06d", n)
		},
		note: func(r *rand.Rand) string {
			if r.IntN(3) == 0 {
				return fmt.Sprintf("Storage: %d pallet-days", 5+r.IntN(60))
			}
			return fmt.Sprintf("Fulfilment: %d parcels", 1+r.IntN(40))
		},
	},
	{ // an SMS platform charges per message (T)
		byProgram: true,
		reference: func(r *rand.Rand, n int) string { return fmt.Sprintf("SMS-BATCH-%06d", n) },
		note:      func(r *rand.Rand) string { return fmt.Sprintf("%d messages", 100*(1+r.IntN(80))) },
	},
	{ // an online shop with e-wallets (W)
		byProgram: true,
		reference: func(r *rand.Rand, n int) string { return fmt.Sprintf("ORD-%07d", n) },
		note:      func(r *rand.Rand) string { return "" },
	},
	{ // a membership card at a counter (R)
		reference: func(r *rand.Rand, n int) string { return fmt.Sprintf("POS-%07d", n) },
		note: func(r *rand.Rand) string {
			return pick(r, []string{"Counter sale", "Counter sale", "Haircut and wash", "Coffee beans 1 kg", "Monthly class fee", ""})
		},
	},
}
