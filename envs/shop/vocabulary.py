"""The words the catalogue is generated from: WebShop's five categories, product types, attributes, options.

Each product type names its product-type nouns by hand (``nouns``): WebShop tags the nouns of
a title with spaCy at reward time; here they are fixed at generation, so the type factor needs
no language model. Attribute and option pools are chosen so that no two entries of one pool
match each other under the reward's rules (fuzzy matching, colour normalisation; checked by
``tests/test_shop_catalogue.py``), so choosing the wrong value of a group never earns its point.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductType:
    category: str  # one of CATEGORIES
    name: str  # the type phrase shown in titles and instructions ("running shoes")
    nouns: tuple[str, ...]  # the product-type nouns of the phrase (the type factor's title nouns)
    query: str  # WebShop's per-product search query the product was scraped under
    path: tuple[str, ...]  # product_category levels, joined by " › "
    options: tuple[str, ...]  # option group names, keys of OPTION_POOLS
    price: tuple[float, float]  # price range in dollars


CATEGORIES = ("fashion", "makeup", "electronics", "furniture", "food")

COLORS = (
    "black", "white", "navy blue", "light grey", "red", "forest green", "beige", "pink", "burgundy",
    "mustard yellow", "teal", "brown", "purple", "orange", "silver", "gold", "ivory", "charcoal",
    "olive", "lavender", "turquoise", "coral", "khaki", "maroon",
)

OPTION_POOLS: dict[str, tuple[str, ...]] = {
    "color": COLORS,
    "size": ("small", "medium", "large", "petite", "plus size", "tall", "one size"),
    "shoe size": ("6", "7", "8", "9", "10", "11", "12", "13"),
    "waist size": ("28w", "30w", "32w", "34w", "36w", "38w"),
    "shade": ("nude", "rose", "mocha", "ivory", "coral", "plum", "caramel", "honey", "espresso", "sand"),
    "volume": ("0.5 fl oz", "1 fl oz", "3.4 fl oz", "6.8 fl oz", "16.9 fl oz"),
    "capacity": ("32gb", "64gb", "128gb", "256gb", "512gb", "1tb"),
    "style": ("standard", "pro", "mini", "plus", "max", "lite"),
    "dimensions": ("19 inch", "32 inch", "55 inch", "70 inch", "86 inch", "4 feet"),
    "finish": ("oak", "walnut", "espresso", "white wash", "natural", "cherry", "grey wash"),
    "flavor": (
        "vanilla", "chocolate", "strawberry", "sea salt caramel", "peanut butter", "mint", "coconut",
        "cinnamon", "original", "honey", "blueberry", "mango",
    ),
    "count": ("6 count", "12 count", "30 count", "48 count", "100 count"),
}

# Attributes are drawn per category; a type uses its category's pool.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "fashion": (
        "machine wash", "hand wash only", "quick drying", "moisture wicking", "slim fit", "relaxed fit",
        "button closure", "elastic waistband", "cotton spandex", "polyester blend", "non slip", "faux fur lining",
    ),
    "makeup": (
        "long lasting", "paraben free", "cruelty free", "travel size", "easy to apply", "natural ingredients",
        "sensitive skin", "vegan formula", "fragrance free", "water resistant formula", "matte finish", "dermatologist tested",
    ),
    "electronics": (
        "wireless", "bluetooth", "noise cancelling", "fast charging", "water resistant", "high definition",
        "long battery life", "usb c", "easy to install", "lightweight", "dual band", "voice control",
    ),
    "furniture": (
        "easy assembly", "solid wood", "space saving", "with storage", "living room", "mid century",
        "metal frame", "stain resistant", "tufted upholstery", "adjustable height", "pet friendly", "rustic style",
    ),
    "food": (
        "gluten free", "non gmo", "sugar free", "low calorie", "high protein", "keto friendly", "plant based",
        "ready to eat", "individually wrapped", "usda organic", "low sodium", "kosher certified",
    ),
}

_F = ("Clothing, Shoes & Jewelry",)
_B = ("Beauty & Personal Care", "Makeup")
_E = ("Electronics",)
_H = ("Home & Kitchen", "Furniture")
_G = ("Grocery & Gourmet Food",)

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType("fashion", "running shoes", ("shoes",), "men's running shoes", (*_F, "Men", "Shoes", "Athletic"), ("color", "shoe size"), (25, 140)),
    ProductType("fashion", "ankle boots", ("boots",), "women's boots", (*_F, "Women", "Shoes", "Boots"), ("color", "shoe size"), (30, 180)),
    ProductType("fashion", "crew neck t-shirt", ("neck", "t-shirt"), "men's t-shirts", (*_F, "Men", "Clothing", "Shirts"), ("color", "size"), (8, 40)),
    ProductType("fashion", "dress shirt", ("dress", "shirt"), "men's dress shirts", (*_F, "Men", "Clothing", "Shirts"), ("color", "size"), (15, 70)),
    ProductType("fashion", "straight leg jeans", ("leg", "jeans"), "men's jeans", (*_F, "Men", "Clothing", "Jeans"), ("color", "waist size"), (20, 90)),
    ProductType("fashion", "yoga leggings", ("yoga", "leggings"), "women's leggings", (*_F, "Women", "Clothing", "Active"), ("color", "size"), (12, 60)),
    ProductType("fashion", "hooded sweatshirt", ("sweatshirt",), "women's hoodies", (*_F, "Women", "Clothing", "Fashion Hoodies"), ("color", "size"), (18, 75)),
    ProductType("fashion", "maxi dress", ("maxi", "dress"), "women's dresses", (*_F, "Women", "Clothing", "Dresses"), ("color", "size"), (20, 110)),
    ProductType("makeup", "liquid foundation", ("foundation",), "foundation makeup", (*_B, "Face", "Foundation"), ("shade", "volume"), (6, 60)),
    ProductType("makeup", "matte lipstick", ("lipstick",), "lipstick", (*_B, "Lips", "Lipstick"), ("shade",), (5, 35)),
    ProductType("makeup", "lip gloss", ("lip", "gloss"), "lip gloss", (*_B, "Lips", "Lip Glosses"), ("shade", "volume"), (4, 30)),
    ProductType("makeup", "mascara", ("mascara",), "mascara", (*_B, "Eyes", "Mascara"), ("color",), (5, 30)),
    ProductType("makeup", "eyeshadow palette", ("eyeshadow", "palette"), "eyeshadow palette", (*_B, "Eyes", "Eyeshadow"), ("shade",), (8, 65)),
    ProductType("makeup", "setting powder", ("powder",), "face powder", (*_B, "Face", "Powder"), ("shade", "volume"), (7, 45)),
    ProductType("makeup", "concealer stick", ("concealer", "stick"), "concealer", (*_B, "Face", "Concealers"), ("shade",), (5, 35)),
    ProductType("electronics", "wireless earbuds", ("earbuds",), "earbuds", (*_E, "Headphones", "Earbud Headphones"), ("color", "style"), (15, 250)),
    ProductType("electronics", "over ear headphones", ("ear", "headphones"), "headphones", (*_E, "Headphones", "Over-Ear Headphones"), ("color", "style"), (25, 450)),
    ProductType("electronics", "portable speaker", ("speaker",), "bluetooth speaker", (*_E, "Portable Audio", "Speakers"), ("color", "style"), (20, 300)),
    ProductType("electronics", "smart watch", ("watch",), "smart watch", (*_E, "Wearable Technology", "Smartwatches"), ("color", "capacity"), (40, 600)),
    ProductType("electronics", "android tablet", ("tablet",), "tablet", (*_E, "Computers", "Tablets"), ("color", "capacity"), (70, 900)),
    ProductType("electronics", "usb flash drive", ("flash", "drive"), "flash drive", (*_E, "Computers", "Data Storage", "USB Flash Drives"), ("color", "capacity"), (6, 90)),
    ProductType("electronics", "4k smart tv", ("tv",), "smart tv", (*_E, "Television & Video", "Televisions"), ("dimensions", "style"), (180, 1400)),
    ProductType("electronics", "phone charger", ("phone", "charger"), "phone charger", (*_E, "Cell Phones & Accessories", "Chargers"), ("color", "style"), (8, 60)),
    ProductType("furniture", "accent chair", ("chair",), "accent chair", (*_H, "Living Room Furniture", "Chairs"), ("color", "finish"), (70, 600)),
    ProductType("furniture", "coffee table", ("coffee", "table"), "coffee table", (*_H, "Living Room Furniture", "Tables"), ("finish", "dimensions"), (50, 700)),
    ProductType("furniture", "bookshelf", ("bookshelf",), "bookcase", (*_H, "Home Office Furniture", "Bookcases"), ("finish", "dimensions"), (40, 500)),
    ProductType("furniture", "office desk", ("office", "desk"), "computer desk", (*_H, "Home Office Furniture", "Desks"), ("finish", "dimensions"), (60, 900)),
    ProductType("furniture", "bar stool", ("bar", "stool"), "bar stools", (*_H, "Game & Recreation Room Furniture", "Stools"), ("color", "finish"), (30, 300)),
    ProductType("furniture", "loveseat sofa", ("loveseat", "sofa"), "sofa", (*_H, "Living Room Furniture", "Sofas & Couches"), ("color", "dimensions"), (200, 1500)),
    ProductType("furniture", "nightstand", ("nightstand",), "nightstand", (*_H, "Bedroom Furniture", "Nightstands"), ("finish",), (35, 350)),
    ProductType("food", "protein bars", ("protein", "bars"), "protein bars", (*_G, "Snack Foods", "Bars"), ("flavor", "count"), (10, 55)),
    ProductType("food", "ground coffee", ("coffee",), "ground coffee", (*_G, "Beverages", "Coffee"), ("flavor", "count"), (7, 45)),
    ProductType("food", "herbal tea bags", ("tea", "bags"), "herbal tea", (*_G, "Beverages", "Tea"), ("flavor", "count"), (4, 30)),
    ProductType("food", "trail mix", ("trail", "mix"), "trail mix", (*_G, "Snack Foods", "Nuts & Seeds"), ("flavor", "count"), (6, 40)),
    ProductType("food", "dark chocolate", ("chocolate",), "dark chocolate", (*_G, "Candy & Chocolate", "Chocolate"), ("flavor", "count"), (4, 50)),
    ProductType("food", "granola cereal", ("granola", "cereal"), "granola", (*_G, "Breakfast Foods", "Cereals"), ("flavor", "count"), (5, 35)),
    ProductType("food", "beef jerky", ("beef", "jerky"), "beef jerky", (*_G, "Meat & Seafood", "Jerky"), ("flavor", "count"), (8, 60)),
)

BRANDS = (
    "Aldermoor", "Brightwell", "Corvana", "Dunmore", "Elderway", "Fenwick", "Glenhaven", "Halvorsen", "Ironvale",
    "Juniper & Co", "Kestrel", "Larkspur", "Marlowe", "Northbrook", "Oakhurst", "Pellworth", "Quillon", "Ravenna",
    "Stonebridge", "Thornfield", "Umberly", "Vantage", "Westmere", "Yarrowby", "Zephyrine",
)

# Sentences around the attributes in descriptions and bullets: words that no attribute contains.
DESCRIPTION_OPENERS = (
    "Designed for everyday use, this {type} from {brand} is a dependable pick.",
    "Meet the {brand} {type}: made to be the one you reach for first.",
    "A {type} by {brand} that looks good and holds up over time.",
    "The {brand} {type} combines careful design with practical details.",
)
DESCRIPTION_CLOSERS = (
    "Backed by a one year warranty.",
    "Ships in recyclable packaging.",
    "A thoughtful gift for friends and family.",
    "Satisfaction guaranteed or your money back.",
)
EXTRA_BULLETS = (
    "Backed by responsive customer support",
    "Ships in recyclable packaging",
    "Makes a thoughtful gift",
    "Carefully inspected before it ships",
)
REVIEW_BODIES = {
    5: ("Exactly what I wanted.", "Great value, would buy again.", "Love it."),
    4: ("Very good overall.", "Does the job well.", "Nice, a little pricey."),
    3: ("It is okay.", "Average, nothing special.", "Works, with some flaws."),
    2: ("Not what I expected.", "Disappointing."),
    1: ("Returned it.", "Would not recommend."),
}
INSTRUCTION_OPENERS = ("i am looking for", "i need", "i want", "find me", "i would like", "i'm searching for")
