package store

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/till-pos/till/pos"
)

// DemoStore is the training store `till seed` loads.
type DemoStore struct {
	Items     []DemoItem
	Customers []pos.Customer // ID 0; Name, Email, Phone, LoyaltyCard set; LoyaltyPoints some starting balance
	Cashiers  []DemoCashier
}

// DemoItem is one catalog item of the demo store with its starting stock.
type DemoItem struct {
	Item  pos.Item // ID 0; Code, Name, Price (minor units, per piece or per kg when Weighed), TaxRate (basis points), Weighed, Active
	Stock int64    // starting stock: pieces, or grams for weighed items
	Label string   // weighed and price-labelled items only: an example scale-label barcode (13 digits), for trainers
}

// DemoCashier is a cashier of the demo store with the PIN trainers sign in
// with. The PIN is hashed (pos.HashPIN) before it is stored.
type DemoCashier struct {
	Cashier pos.Cashier // Number ("101".."103"), Name, Manager
	PIN     string      // 4 digits
}

// Tax rates of the demo store, in basis points: the German reduced rate for
// food, books, flowers and pet food, and the standard rate for everything
// else (drinks other than milk, household, personal care).
const (
	demoFood    = 700
	demoNonFood = 1900
)

// Demo items a trainer can remember or type from the training guide: codes
// from the GS1 and barcode literature, one per code format the till reads.
// Two of them start with only 3 in stock, so a trainer can show the
// out-of-stock message by selling 4 (the only two items that low):
//
//   - 5901234123457 "Chocolate pralines gift box 200 g"
//   - 9780201379624 "Paperback cookbook"
//
// All the other items start with 20 to 400 pieces, or 20 to 80 kg when
// weighed.
var demoMemorable = []struct {
	code  string // as stored: 13 digits
	name  string
	price pos.Money
	tax   int
	low   bool // starts with 3 in stock
}{
	{"4006381333931", "Fineliner pen black", 129, demoNonFood, false},
	{"5901234123457", "Chocolate pralines gift box 200 g", 699, demoFood, true},
	{"0036000291452", "Facial tissues 100 pcs", 199, demoNonFood, false},     // UPC-A 036000291452
	{"9780201379624", "Paperback cookbook", 1999, demoFood, true},            // books are 7%
	{"0000096385074", "Peppermint chewing gum 10 pcs", 89, demoFood, false},  // EAN-8 96385074
	{"0042100005264", "Travel toothpaste 20 ml", 99, demoNonFood, false},     // UPC-E 04252614
	{"4000000000006", "Carrier bag", 20, demoNonFood, false},                 // easy to type
	{"4012345000009", "Reusable shopping bag jute", 199, demoNonFood, false}, // easy to type
}

// demoPLU items are sold per piece by their 4- or 5-digit produce code.
var demoPLU = []struct {
	code  string
	name  string
	price pos.Money
}{
	{"4030", "Kiwi each", 39},
	{"4046", "Avocado Hass each", 129},
	{"4958", "Lemon each", 59},
	{"94048", "Organic lime each", 49},
}

// demoWeighed items are sold by weight from a scale label: the item digits
// are their position in this list, from 1.
var demoWeighed = []struct {
	name  string
	price pos.Money // per kg
}{
	{"Bananas loose", 199},
	{"Apples Elstar loose", 249},
	{"Pears Conference loose", 299},
	{"Vine tomatoes loose", 349},
	{"Carrots loose", 129},
	{"Red onions loose", 179},
	{"White grapes seedless loose", 499},
	{"Young Gouda from the counter", 1290},
	{"Emmental from the counter", 1790},
	{"Ground beef from the counter", 990},
	{"Pork schnitzel from the counter", 1190},
	{"Chicken breast from the counter", 1390},
	{"Salmon fillet from the counter", 2990},
	{"Mixed olives from the counter", 1990},
}

// demoPriced items carry their price on a label printed at the counter.
var demoPriced = []struct {
	name  string
	price pos.Money // a typical price; the label's price is charged
	label pos.Money // the price on the example label
	tax   int
}{
	{"Cake slice from the bakery counter", 280, 280, demoFood},
	{"Deli salad from the counter", 299, 347, demoFood},
	{"Bouquet of cut flowers", 999, 1299, demoFood}, // cut flowers are 7% in Germany
}

// demoSeasonal items are out of season: inactive, to show the till's
// "inactive item" message.
var demoSeasonal = []struct {
	name  string
	price pos.Money
}{
	{"Christmas stollen 750 g", 599},
	{"Chocolate Easter bunny 100 g", 199},
	{"Gingerbread hearts 200 g", 249},
}

type demoBrand struct {
	name string
	// prefix is a made-up GS1 company prefix: 7 digits for an EAN-13, or
	// 6 digits (number system and manufacturer) for a UPC-A, stored as 13
	// digits with a leading 0 the way pos.ScanRules.Parse normalises it.
	prefix string
	factor int // price in percent of the standard brand
}

type demoSize struct {
	label string
	price pos.Money // for the standard brand
}

type demoProduct struct {
	name  string
	tax   int // 0: the department's
	sizes []demoSize
}

// demoGroup is a set of brands each selling every product in every size.
type demoGroup struct {
	tax      int
	brands   []demoBrand
	products []demoProduct
}

func sz(label string, price pos.Money) demoSize { return demoSize{label, price} }

func prod(name string, sizes ...demoSize) demoProduct { return demoProduct{name: name, sizes: sizes} }

func prodTax(name string, tax int, sizes ...demoSize) demoProduct {
	return demoProduct{name: name, tax: tax, sizes: sizes}
}

// Brands. All names and company prefixes are invented.
var (
	brTagwerk      = demoBrand{"Tagwerk", "4047213", 80} // the store's own label
	brGartenland   = demoBrand{"Gartenland", "4009822", 100}
	brSonnenacker  = demoBrand{"Bio Sonnenacker", "4051736", 140}
	brAlpenhof     = demoBrand{"Alpenhof", "4027544", 100}
	brWiesengrund  = demoBrand{"Bio Wiesengrund", "4063190", 140}
	brKrume        = demoBrand{"Backstube Krume", "4018376", 100}
	brKornmuehle   = demoBrand{"Kornmühle Bio", "4039921", 135}
	brHofer        = demoBrand{"Landmetzger Hofer", "4028815", 100}
	brWeidegut     = demoBrand{"Bio Weidegut", "4058847", 150}
	brPolarfrisch  = demoBrand{"Polarfrisch", "5901873", 100}
	brEisgarten    = demoBrand{"Eisgarten Bio", "4044602", 140}
	brKaufmanns    = demoBrand{"Kaufmanns", "4015329", 100}
	brFeldgold     = demoBrand{"Feldgold Bio", "4060514", 140}
	brQuellhof     = demoBrand{"Quellhof", "4033178", 100}
	brSonnenfrucht = demoBrand{"Sonnenfrucht", "8714406", 130}
	brLindenkeller = demoBrand{"Brauerei Lindenkeller", "4029561", 100}
	brKlosterbraeu = demoBrand{"Klosterbräu Aue", "4037742", 115}
	brRebenhang    = demoBrand{"Weingut Rebenhang", "4019863", 100}
	brCantina      = demoBrand{"Cantina del Sole", "8012745", 110}
	brMorgenstern  = demoBrand{"Morgenstern", "4011638", 100}
	brBergmann     = demoBrand{"Rösterei Bergmann", "4042297", 130}
	brKnusperland  = demoBrand{"Knusperland", "4024519", 100}
	brVanDijk      = demoBrand{"Van Dijk Snacks", "8719327", 115}
	brBerg         = demoBrand{"Schokoladenhaus Berg", "7612963", 125}
	brSuesswerk    = demoBrand{"Süßwerk", "4036614", 100}
	brMediterra    = demoBrand{"Mediterra", "8437201", 120}
	brBlitzblank   = demoBrand{"Blitzblank", "4014870", 100}
	brGruenkraft   = demoBrand{"Grünkraft", "4065352", 125}
	brSanfte       = demoBrand{"Sanfte Pflege", "4026183", 100}
	brNaturelle    = demoBrand{"Naturelle", "3760148", 130}
	brSonnenkind   = demoBrand{"Sonnenkind", "4054421", 100}
	brKleinerStern = demoBrand{"Kleiner Stern Bio", "9008735", 130}
	brPfoten       = demoBrand{"Pfotenglück", "4048902", 100}
	brFellfreund   = demoBrand{"Fellfreund Premium", "5907625", 130}

	// American imports, coded as UPC-A.
	brMapleCreek = demoBrand{"Maple Creek", "041736", 100}
	brPrairie    = demoBrand{"Lone Prairie", "074512", 100}
	brBluebonnet = demoBrand{"Bluebonnet Bakery", "030481", 100}
	brRocky      = demoBrand{"Rocky Spring", "078236", 100}
	brClearwater = demoBrand{"Clearwater", "037219", 100}
	brBrightHome = demoBrand{"Bright Home", "071493", 100}
	brHappyPaws  = demoBrand{"Happy Paws", "079318", 100}
	brLittleAcrn = demoBrand{"Little Acorn", "086417", 100}
)

// demoDepartments lists the store's shelves, department by department.
var demoDepartments = []demoGroup{
	// Produce, packaged.
	{demoFood, []demoBrand{brTagwerk, brGartenland, brSonnenacker}, []demoProduct{
		prod("Cherry tomatoes", sz("250 g", 149), sz("500 g", 269)),
		prod("Baby spinach", sz("150 g", 179)),
		prod("Brown mushrooms", sz("250 g", 149), sz("500 g", 259)),
		prod("Carrots", sz("1 kg", 119), sz("2 kg", 199)),
		prod("Waxy potatoes", sz("1.5 kg", 199), sz("2.5 kg", 299)),
		prod("Onions", sz("1 kg", 109)),
		prod("Blueberries", sz("125 g", 199), sz("300 g", 399)),
		prod("Strawberries", sz("500 g", 299)),
		prod("Mini cucumbers", sz("400 g", 179)),
	}},
	// Dairy.
	{demoFood, []demoBrand{brTagwerk, brAlpenhof, brWiesengrund}, []demoProduct{
		prod("Whole milk 3.5%", sz("1 l", 115)),
		prod("Semi-skimmed milk 1.5%", sz("1 l", 105)),
		prod("Natural yoghurt", sz("500 g", 89), sz("1 kg", 159)),
		prod("Greek-style yoghurt 10%", sz("500 g", 199)),
		prod("Butter", sz("250 g", 229)),
		prod("Gouda slices", sz("150 g", 169), sz("400 g", 349)),
		prod("Cream cheese", sz("200 g", 129)),
		prod("Quark 20%", sz("500 g", 119)),
		prod("Whipping cream 30%", sz("200 ml", 99)),
		prod("Mozzarella", sz("125 g", 99)),
	}},
	// Bakery.
	{demoFood, []demoBrand{brTagwerk, brKrume, brKornmuehle}, []demoProduct{
		prod("Wholegrain bread", sz("500 g", 169), sz("750 g", 229)),
		prod("Rye bread", sz("500 g", 159), sz("1 kg", 279)),
		prod("Toast bread", sz("500 g", 119)),
		prod("Croissants", sz("4 pcs", 199)),
		prod("Pretzel rolls", sz("6 pcs", 179)),
		prod("Rusks", sz("225 g", 149)),
		prod("Crispbread", sz("250 g", 129)),
		prod("Bagels", sz("4 pcs", 199)),
		prod("Marble cake", sz("400 g", 249)),
	}},
	// Meat and fish, packaged.
	{demoFood, []demoBrand{brTagwerk, brHofer, brWeidegut}, []demoProduct{
		prod("Chicken breast fillets", sz("400 g", 499), sz("1 kg", 1099)),
		prod("Minced beef", sz("400 g", 399)),
		prod("Bratwurst", sz("400 g", 349)),
		prod("Cooked ham slices", sz("200 g", 229)),
		prod("Salami slices", sz("100 g", 179)),
		prod("Smoked salmon", sz("100 g", 299)),
		prod("Wiener sausages", sz("250 g", 199)),
		prod("Turkey breast slices", sz("150 g", 219)),
		prod("Pork schnitzel", sz("500 g", 549)),
	}},
	// Frozen.
	{demoFood, []demoBrand{brTagwerk, brPolarfrisch, brEisgarten}, []demoProduct{
		prod("Pizza Margherita", sz("350 g", 249)),
		prod("Pizza salami", sz("380 g", 279)),
		prod("Garden peas", sz("450 g", 149), sz("1 kg", 279)),
		prod("Fish fingers", sz("15 pcs", 249), sz("30 pcs", 449)),
		prod("Leaf spinach", sz("450 g", 129)),
		prod("French fries", sz("750 g", 179), sz("2.5 kg", 449)),
		prod("Vanilla ice cream", sz("1 l", 249)),
		prod("Mixed berries", sz("300 g", 299)),
		prod("Stir-fry vegetables", sz("750 g", 229)),
	}},
	// Pantry.
	{demoFood, []demoBrand{brTagwerk, brKaufmanns, brFeldgold}, []demoProduct{
		prod("Spaghetti", sz("500 g", 99), sz("1 kg", 179)),
		prod("Penne rigate", sz("500 g", 99)),
		prod("Basmati rice", sz("1 kg", 249)),
		prod("Long grain rice", sz("500 g", 129)),
		prod("Chopped tomatoes", sz("400 g", 69)),
		prod("Sunflower oil", sz("1 l", 229)),
		prod("Extra virgin olive oil", sz("500 ml", 599)),
		prod("Wheat flour type 405", sz("1 kg", 89)),
		prod("Granulated sugar", sz("1 kg", 119)),
		prod("Rolled oats", sz("500 g", 89)),
		prod("Strawberry jam", sz("450 g", 199)),
		prod("Tomato ketchup", sz("500 ml", 179)),
		prod("Medium-hot mustard", sz("200 ml", 89)),
		prod("Vegetable stock cubes", sz("8 pcs", 99)),
	}},
	// Canned and world food.
	{demoFood, []demoBrand{brTagwerk, brKaufmanns, brMediterra}, []demoProduct{
		prod("Kidney beans", sz("400 g", 79)),
		prod("Chickpeas", sz("400 g", 79)),
		prod("Sweet corn", sz("340 g", 89)),
		prod("Tuna chunks in sunflower oil", sz("185 g", 199)),
		prod("Coconut milk", sz("400 ml", 149)),
		prod("Tomato passata", sz("500 g", 89)),
		prod("Green pesto", sz("190 g", 199)),
		prod("Pitted black olives", sz("160 g", 129)),
		prod("Lentil soup", sz("800 g", 179)),
		prod("Goulash soup", sz("800 g", 229)),
	}},
	// Soft drinks, water and juice: 19% in Germany.
	{demoNonFood, []demoBrand{brTagwerk, brQuellhof, brSonnenfrucht}, []demoProduct{
		prod("Still mineral water", sz("1.5 l", 49), sz("6 x 1.5 l", 279)),
		prod("Sparkling mineral water", sz("1.5 l", 49), sz("6 x 1.5 l", 279)),
		prod("Orange juice", sz("1 l", 179)),
		prod("Apple juice", sz("1 l", 149)),
		prod("Multivitamin juice", sz("1 l", 169)),
		prod("Cola", sz("1.5 l", 109)),
		prod("Lemon soda", sz("1.5 l", 99)),
		prod("Peach iced tea", sz("1.5 l", 119)),
		prod("Apple spritzer", sz("1 l", 99)),
	}},
	// Beer.
	{demoNonFood, []demoBrand{brLindenkeller, brKlosterbraeu}, []demoProduct{
		prod("Pilsner", sz("0.5 l", 89), sz("6 x 0.33 l", 449), sz("20 x 0.5 l", 1499)),
		prod("Wheat beer", sz("0.5 l", 109)),
		prod("Alcohol-free lager", sz("0.5 l", 89)),
		prod("Radler", sz("0.5 l", 89)),
	}},
	// Wine.
	{demoNonFood, []demoBrand{brRebenhang, brCantina}, []demoProduct{
		prod("Riesling dry", sz("0.75 l", 599)),
		prod("Pinot Noir", sz("0.75 l", 699)),
		prod("Rosé", sz("0.75 l", 499)),
		prod("Sparkling wine brut", sz("0.75 l", 549)),
	}},
	// Breakfast, coffee and tea.
	{demoFood, []demoBrand{brTagwerk, brMorgenstern, brBergmann}, []demoProduct{
		prod("Ground coffee", sz("500 g", 599)),
		prod("Coffee beans", sz("1 kg", 1299)),
		prod("Instant coffee", sz("200 g", 499)),
		prod("Black tea", sz("25 bags", 149)),
		prod("Peppermint tea", sz("20 bags", 129)),
		prod("Chamomile tea", sz("20 bags", 129)),
		prod("Cornflakes", sz("375 g", 179)),
		prod("Crunchy muesli", sz("750 g", 299)),
		prod("Fruit muesli", sz("750 g", 279)),
		prod("Cocoa drink powder", sz("400 g", 249)),
		prod("Creamy honey", sz("500 g", 399)),
		prod("Chocolate hazelnut spread", sz("400 g", 249)),
	}},
	// Salty snacks.
	{demoFood, []demoBrand{brTagwerk, brKnusperland, brVanDijk}, []demoProduct{
		prod("Salted crisps", sz("175 g", 149)),
		prod("Paprika crisps", sz("175 g", 149)),
		prod("Sour cream crisps", sz("175 g", 159)),
		prod("Salted pretzel sticks", sz("250 g", 99)),
		prod("Salted peanuts", sz("200 g", 149)),
		prod("Mixed nuts", sz("200 g", 299)),
		prod("Sweet popcorn", sz("100 g", 99)),
		prod("Cheese crackers", sz("125 g", 129)),
	}},
	// Sweets and biscuits.
	{demoFood, []demoBrand{brTagwerk, brSuesswerk, brBerg}, []demoProduct{
		prod("Milk chocolate", sz("100 g", 99)),
		prod("Dark chocolate 70%", sz("100 g", 129)),
		prod("Hazelnut milk chocolate", sz("100 g", 129)),
		prod("Fruit gummies", sz("200 g", 99)),
		prod("Liquorice", sz("200 g", 109)),
		prod("Butter biscuits", sz("200 g", 119)),
		prod("Chocolate biscuits", sz("125 g", 149)),
		prod("Hazelnut wafers", sz("150 g", 129)),
		prod("Muesli bars", sz("6 pcs", 199)),
	}},
	// Household.
	{demoNonFood, []demoBrand{brTagwerk, brBlitzblank, brGruenkraft}, []demoProduct{
		prod("Washing-up liquid", sz("500 ml", 89)),
		prod("All-purpose cleaner", sz("1 l", 149)),
		prod("Bathroom cleaner", sz("750 ml", 179)),
		prod("Toilet cleaner gel", sz("750 ml", 149)),
		prod("Laundry detergent powder", sz("20 loads", 499), sz("40 loads", 899)),
		prod("Liquid laundry detergent", sz("20 loads", 449)),
		prod("Fabric softener", sz("1 l", 199)),
		prod("Dishwasher tablets", sz("40 pcs", 599)),
		prod("Toilet paper 3-ply", sz("8 rolls", 299), sz("16 rolls", 549)),
		prod("Kitchen roll", sz("4 rolls", 249)),
		prod("Pocket tissues", sz("10 packs", 99)),
		prod("Bin bags 35 l", sz("25 pcs", 149)),
		prod("Cling film", sz("30 m", 129)),
		prod("Baking paper", sz("10 m", 119)),
		prod("Freezer bags 3 l", sz("50 pcs", 99)),
	}},
	// Personal care.
	{demoNonFood, []demoBrand{brTagwerk, brSanfte, brNaturelle}, []demoProduct{
		prod("Shampoo normal hair", sz("300 ml", 149)),
		prod("Anti-dandruff shampoo", sz("300 ml", 249)),
		prod("Conditioner", sz("200 ml", 149)),
		prod("Shower gel", sz("250 ml", 99)),
		prod("Liquid hand soap", sz("500 ml", 99)),
		prod("Toothpaste fresh mint", sz("75 ml", 89)),
		prod("Toothbrush medium", sz("2 pcs", 199)),
		prod("Roll-on deodorant", sz("50 ml", 149)),
		prod("Body lotion", sz("400 ml", 249)),
		prod("Face cream SPF 15", sz("50 ml", 399)),
		prod("Cotton pads", sz("100 pcs", 79)),
		prod("Razor blades", sz("4 pcs", 499)),
		prod("Sanitary towels normal", sz("18 pcs", 149)),
		prod("Sun lotion SPF 30", sz("200 ml", 599)),
	}},
	// Baby: food at 7%, the rest at 19%.
	{demoFood, []demoBrand{brTagwerk, brSonnenkind, brKleinerStern}, []demoProduct{
		prod("Oat baby porridge", sz("250 g", 199)),
		prod("Fruit pouch apple-banana", sz("90 g", 79)),
		prod("Carrot-potato baby jar", sz("190 g", 119)),
		prod("Infant formula stage 1", sz("800 g", 1499)),
		prod("Baby biscuits", sz("150 g", 149)),
		prodTax("Nappies", demoNonFood, sz("size 3, 40 pcs", 799), sz("size 4, 36 pcs", 799), sz("size 5, 32 pcs", 849)),
		prodTax("Baby wipes sensitive", demoNonFood, sz("80 pcs", 99)),
		prodTax("Baby lotion", demoNonFood, sz("300 ml", 249)),
	}},
	// Pet: food at 7%, litter at 19%.
	{demoFood, []demoBrand{brTagwerk, brPfoten, brFellfreund}, []demoProduct{
		prod("Dry dog food chicken", sz("1 kg", 299), sz("4 kg", 999)),
		prod("Wet dog food beef", sz("400 g", 119)),
		prod("Dog chews", sz("200 g", 249)),
		prod("Dry cat food salmon", sz("1 kg", 349)),
		prod("Wet cat food selection", sz("12 x 85 g", 449)),
		prod("Cat treats", sz("60 g", 129)),
		prodTax("Clumping cat litter", demoNonFood, sz("10 l", 399)),
		prod("Bird seed", sz("1 kg", 199)),
	}},

	// American imports, with UPC-A codes.
	{demoFood, []demoBrand{brMapleCreek}, []demoProduct{
		prod("Creamy peanut butter", sz("340 g", 349)),
		prod("Crunchy peanut butter", sz("340 g", 349)),
		prod("Pancake mix", sz("500 g", 299)),
		prod("Pure maple syrup", sz("250 ml", 799)),
		prod("Smoky BBQ sauce", sz("510 g", 349)),
		prod("Macaroni and cheese", sz("206 g", 249)),
		prod("Yellow mustard", sz("397 g", 249)),
		prod("Marshmallows", sz("283 g", 229)),
		prod("Cornbread mix", sz("240 g", 279)),
		prod("Sweet relish", sz("296 ml", 279)),
		prod("Corn grits", sz("680 g", 349)),
		prod("Chocolate syrup", sz("680 g", 399)),
	}},
	{demoFood, []demoBrand{brPrairie}, []demoProduct{
		prod("Tortilla chips salted", sz("283 g", 299)),
		prod("Pretzel twists", sz("454 g", 349)),
		prod("Beef jerky original", sz("70 g", 399)),
		prod("Beef jerky teriyaki", sz("70 g", 399)),
		prod("Salted peanuts", sz("454 g", 399)),
		prod("Butter microwave popcorn", sz("3 x 85 g", 299)),
		prod("Cheese puffs", sz("227 g", 299)),
		prod("Trail mix", sz("340 g", 449)),
	}},
	{demoFood, []demoBrand{brBluebonnet}, []demoProduct{
		prod("Chocolate chip cookies", sz("368 g", 399)),
		prod("Oatmeal raisin cookies", sz("368 g", 399)),
		prod("Brownie mix", sz("510 g", 349)),
		prod("Cinnamon graham crackers", sz("408 g", 449)),
		prod("Sandwich cookies", sz("432 g", 349)),
	}},
	{demoNonFood, []demoBrand{brRocky}, []demoProduct{
		prod("Root beer", sz("355 ml", 149)),
		prod("Cream soda", sz("355 ml", 149)),
		prod("Ginger ale", sz("355 ml", 149)),
		prod("Cola", sz("355 ml", 129)),
		prod("Diet cola", sz("355 ml", 129)),
		prod("Orange soda", sz("355 ml", 149)),
		prod("Lemon iced tea", sz("500 ml", 199)),
		prod("Pink lemonade", sz("500 ml", 199)),
	}},
	{demoNonFood, []demoBrand{brClearwater}, []demoProduct{
		prod("Whitening toothpaste", sz("170 g", 399)),
		prod("Mint mouthwash", sz("500 ml", 449)),
		prod("Dental floss", sz("50 m", 249)),
		prod("Deodorant stick", sz("73 g", 449)),
		prod("Shaving gel", sz("198 g", 399)),
		prod("Cherry lip balm", sz("4 g", 249)),
		prod("Hand cream", sz("75 ml", 349)),
		prod("Body lotion", sz("400 ml", 599)),
		prod("Cotton swabs", sz("500 pcs", 299)),
		prod("Sunscreen SPF 50", sz("236 ml", 1199)),
	}},
	{demoNonFood, []demoBrand{brBrightHome}, []demoProduct{
		prod("Lemon dish soap", sz("709 ml", 349)),
		prod("Stain remover spray", sz("650 ml", 499)),
		prod("Drawstring trash bags 30 l", sz("40 pcs", 449)),
		prod("Aluminium foil", sz("30 m", 349)),
		prod("Sandwich bags", sz("100 pcs", 299)),
		prod("Scrub sponges", sz("6 pcs", 349)),
	}},
	{demoFood, []demoBrand{brHappyPaws}, []demoProduct{
		prod("Dog treats chicken", sz("170 g", 449)),
		prod("Dog biscuits", sz("680 g", 549)),
		prod("Cat treats salmon", sz("85 g", 249)),
		prod("Tuna pâté cat food", sz("85 g", 129)),
		prod("Dog chew bones", sz("10 pcs", 599)),
	}},
	{demoNonFood, []demoBrand{brLittleAcrn}, []demoProduct{
		prod("Baby wipes unscented", sz("72 pcs", 299)),
		prodTax("Teething biscuits", demoFood, sz("12 pcs", 399)),
		prod("Diaper rash cream", sz("113 g", 699)),
		prod("Tear-free baby shampoo", sz("444 ml", 599)),
	}},
}

// Customers: a first and last name per customer, first[i%len] and
// last[i%len]; the lengths are coprime so 50 customers have 50 names.
var (
	demoFirstNames = []string{"Anna", "Lukas", "Sophie", "Mehmet", "Julia", "Jonas", "Katarzyna", "Paul",
		"Elif", "Maximilian", "Lena", "Giovanni", "Hannah", "Tobias", "Marta", "Jürgen"}
	demoLastNames = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
		"Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz",
		"Zimmermann", "Krüger", "Nowak"}
)

// demoCustomerCount is how many loyalty customers the demo store has.
const demoCustomerCount = 50

// DemoData returns the demo store for a store whose scans follow rules. It
// is deterministic: every call returns the same data.
//
// Weighed items are keyed by the first weight rule of rules.VariableMeasure
// and price-labelled items by the first price rule; without such a rule
// (or with too few item digits) those items are left out, since the till
// could not sell them. Loyalty cards start with rules.LoyaltyPrefix; a store
// without one gets customers without cards. Every code is checked with
// rules.Parse, so an item whose code the store would read differently (a
// loyalty prefix overlapping it, say) is left out or given another code.
func DemoData(rules pos.ScanRules) DemoStore {
	g := &demoGen{
		rules: rules,
		rng:   rand.New(rand.NewPCG(0x7111, 0x5eed)),
		codes: map[string]bool{},
		names: map[string]bool{},
		refs:  map[string]int{},
	}
	for _, m := range demoMemorable {
		stock := g.pieces()
		if m.low {
			stock = 3
		}
		if g.isItemCode(m.code) {
			g.add(pos.Item{Code: m.code, Name: m.name, Price: m.price, TaxRate: m.tax, Active: true}, stock, "")
		}
	}
	for _, p := range demoPLU {
		if g.isItemCode(p.code) {
			g.add(pos.Item{Code: p.code, Name: p.name, Price: p.price, TaxRate: demoFood, Active: true}, g.pieces(), "")
		}
	}
	if rule, ok := firstRule(rules, pos.MeasureWeight); ok {
		for i, w := range demoWeighed {
			grams := int64(500 + (i*379+137)%1001) // 0.5 to 1.5 kg
			code, label, ok := g.labelled(rule, i+1, grams)
			if !ok {
				continue
			}
			g.add(pos.Item{Code: code, Name: w.name, Price: w.price, TaxRate: demoFood, Weighed: true, Active: true},
				10*g.between(2000, 8000), label)
		}
	}
	if rule, ok := firstRule(rules, pos.MeasurePrice); ok {
		for i, p := range demoPriced {
			code, label, ok := g.labelled(rule, i+1, int64(p.label))
			if !ok {
				continue
			}
			g.add(pos.Item{Code: code, Name: p.name, Price: p.price, TaxRate: p.tax, Active: true}, g.pieces(), label)
		}
	}
	for _, d := range demoDepartments {
		for _, p := range d.products {
			tax := d.tax
			if p.tax != 0 {
				tax = p.tax
			}
			for _, s := range p.sizes {
				for _, b := range d.brands {
					code := g.nextCode(b.prefix)
					if code == "" {
						continue
					}
					name := b.name + " " + p.name + " " + s.label
					g.add(pos.Item{Code: code, Name: name, Price: g.price(s.price, b.factor), TaxRate: tax, Active: true},
						g.pieces(), "")
				}
			}
		}
	}
	for _, s := range demoSeasonal {
		if code := g.nextCode(brSuesswerk.prefix); code != "" {
			g.add(pos.Item{Code: code, Name: brSuesswerk.name + " " + s.name, Price: s.price, TaxRate: demoFood},
				g.pieces(), "")
		}
	}
	return DemoStore{Items: g.items, Customers: demoCustomers(rules), Cashiers: demoCashiers()}
}

type demoGen struct {
	rules pos.ScanRules
	rng   *rand.Rand
	items []DemoItem
	codes map[string]bool
	names map[string]bool
	refs  map[string]int // next item reference per company prefix
}

// add appends an item unless its code or name is taken.
func (g *demoGen) add(it pos.Item, stock int64, label string) {
	if g.codes[it.Code] || g.names[strings.ToLower(it.Name)] {
		return
	}
	g.codes[it.Code], g.names[strings.ToLower(it.Name)] = true, true
	g.items = append(g.items, DemoItem{Item: it, Stock: stock, Label: label})
}

// between returns a number from lo to hi. It uses only the PCG source's
// Uint64, whose output is fixed, so the data cannot change with Go's
// implementation of the rand helpers.
func (g *demoGen) between(lo, hi int64) int64 {
	return lo + int64(g.rng.Uint64()%uint64(hi-lo+1))
}

// pieces is a starting stock for an item sold by the piece.
func (g *demoGen) pieces() int64 { return g.between(20, 400) }

// price scales a standard brand's price by a brand's factor, varies it by
// up to 6% either way and rounds it to a shelf price: …9 cents, or …49 and
// …99 from 10 euros.
func (g *demoGen) price(base pos.Money, factor int) pos.Money {
	p := int64(base) * int64(factor) * g.between(94, 106) / 10000
	step := int64(10)
	if p >= 1000 {
		step = 50
	}
	p = (p+step/2)/step*step - 1
	return pos.Money(max(p, 19))
}

// nextCode returns the next free code of a company prefix, or "" if the
// prefix has run out of item references.
func (g *demoGen) nextCode(prefix string) string {
	lead := ""
	if len(prefix) == 6 { // UPC-A, stored as 13 digits
		lead = "0"
	}
	for {
		n := g.refs[prefix]
		g.refs[prefix]++
		ref := 1000 + 37*n
		if ref > 99999 {
			return ""
		}
		body := lead + prefix + fmt.Sprintf("%05d", ref)
		code := body + strconv.Itoa(pos.GTINCheckDigit(body))
		if !g.codes[code] && g.isItemCode(code) {
			return code
		}
	}
}

// isItemCode reports whether the store's rules read code as the item code
// itself, with nothing embedded.
func (g *demoGen) isItemCode(code string) bool {
	sc, err := g.rules.Parse(code)
	return err == nil && sc.Kind == pos.ScanItem && sc.Code == code && sc.Measure == pos.MeasureNone
}

// labelled returns the item code of item number n under a variable-measure
// rule and an example label embedding value.
func (g *demoGen) labelled(rule pos.VariableMeasureRule, n int, value int64) (code, label string, ok bool) {
	digits := fmt.Sprintf("%0*d", rule.ItemDigits, n)
	if len(digits) != rule.ItemDigits {
		return "", "", false
	}
	label, err := pos.VariableMeasureCode(rule, digits, value)
	if err != nil {
		return "", "", false
	}
	sc, err := g.rules.Parse(label)
	if err != nil || sc.Kind != pos.ScanItem || sc.Measure != rule.Embeds || sc.Value != value {
		return "", "", false
	}
	return sc.Code, label, true
}

// firstRule returns the first variable-measure rule embedding kind.
func firstRule(rules pos.ScanRules, kind pos.MeasureKind) (pos.VariableMeasureRule, bool) {
	for _, r := range rules.VariableMeasure {
		if r.Embeds == kind {
			return r, true
		}
	}
	return pos.VariableMeasureRule{}, false
}

// demoCustomers returns the loyalty customers. Phone numbers are from the
// Berlin range the Bundesnetzagentur keeps free for films and teaching
// material, (0)30 23125 000–999; email addresses use the example domains.
func demoCustomers(rules pos.ScanRules) []pos.Customer {
	out := make([]pos.Customer, 0, demoCustomerCount)
	for i := range demoCustomerCount {
		first := demoFirstNames[i%len(demoFirstNames)]
		last := demoLastNames[i%len(demoLastNames)]
		domain := "example.com"
		if i%3 == 2 {
			domain = "example.org"
		}
		out = append(out, pos.Customer{
			Name:          first + " " + last,
			Email:         asciiLower(first) + "." + asciiLower(last) + "@" + domain,
			Phone:         fmt.Sprintf("+49 30 23125 %03d", 100+7*i),
			LoyaltyCard:   demoCard(rules, i),
			LoyaltyPoints: int64((i*379 + 120) % 2500),
		})
	}
	return out
}

// demoCard returns customer i's loyalty card: the store's prefix, a serial
// number and the EAN-13 check digit, or "" if the store has no loyalty
// cards or its prefix leaves no room for 50 serial numbers.
func demoCard(rules pos.ScanRules, i int) string {
	lp := rules.LoyaltyPrefix
	width := 12 - len(lp)
	if lp == "" || width < 2 {
		return ""
	}
	n := i + 1
	if width >= 7 {
		n += 100000
	}
	body := lp + fmt.Sprintf("%0*d", width, n)
	if len(body) != 12 {
		return ""
	}
	card := body + strconv.Itoa(pos.GTINCheckDigit(body))
	if sc, err := rules.Parse(card); err != nil || sc.Kind != pos.ScanLoyaltyCard || sc.Code != card {
		return ""
	}
	return card
}

// asciiLower writes a name for an email address: lower case, umlauts
// spelled out, anything but letters dropped.
func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'ä':
			b.WriteString("ae")
		case r == 'ö':
			b.WriteString("oe")
		case r == 'ü':
			b.WriteString("ue")
		case r == 'ß':
			b.WriteString("ss")
		}
	}
	return b.String()
}

// demoCashiers returns the three demo cashiers; 103 is the manager.
func demoCashiers() []DemoCashier {
	return []DemoCashier{
		{pos.Cashier{Number: "101", Name: "Anna Becker"}, "1111"},
		{pos.Cashier{Number: "102", Name: "Mehmet Yılmaz"}, "2222"},
		{pos.Cashier{Number: "103", Name: "Claudia Hoffmann", Manager: true}, "9999"},
	}
}
