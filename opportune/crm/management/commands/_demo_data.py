"""The demo company's data (``manage.py load_demo``): Northwind Traders, its people, masters,
leads and customers. Plain values only; the loader writes them through the services."""

from __future__ import annotations

from opportune.accounts.roles import PURCHASE_USER, SALES_MANAGER, SALES_USER

SEED = 20260101
PASSWORD = "demo1234"
COMPANY = "Northwind Traders"

# username, first name, last name, roles, superuser
USERS = [
    ("admin", "Alex", "Admin", (), True),
    ("manager", "Maria", "Moreno", (SALES_MANAGER, SALES_USER), False),
    ("sales1", "Sam", "Patel", (SALES_USER,), False),
    ("sales2", "Sofia", "Jensen", (SALES_USER,), False),
    ("purchase", "Paul", "Okafor", (PURCHASE_USER,), False),
]
SELLERS = ["sales1", "sales2", "manager"]

# Value of one unit in USD: a year ago, and a month ago.
EXCHANGE_RATES = {
    "EUR": ("1.0850", "1.0920"),
    "GBP": ("1.2700", "1.2650"),
    "INR": ("0.012000", "0.011950"),
}
TERRITORIES = {
    "North America": ["United States", "Canada"],
    "Europe": ["United Kingdom", "Germany", "France"],
    "Asia Pacific": ["India", "Australia"],
}
CUSTOMER_GROUPS = ["Distributor", "Retail Chain", "Hospitality"]
INDUSTRIES = ["Food & Beverage", "Hospitality", "Retail", "Healthcare", "Education", "Logistics"]
CAMPAIGNS = ["Spring Food Fair", "Summer Newsletter", "Chef Partner Webinar", "Holiday Hampers"]
COMPETITORS = [
    "Contoso Foods",
    "Fabrikam Fine Foods",
    "Tailspin Provisions",
    "Adventure Works Catering",
]
# code, name, group, UOM, rate in USD
ITEMS = [
    ("NW-CHAI", "Chai Tea (10 boxes x 20 bags)", "Beverages", "Box", "18.00"),
    ("NW-CHANG", "Chang Beer (24 x 12 oz bottles)", "Beverages", "Box", "19.00"),
    ("NW-COFFEE", "Ipoh Coffee (16 x 500 g tins)", "Beverages", "Box", "46.00"),
    ("NW-LAKKA", "Lakkalikööri (500 ml)", "Beverages", "Nos", "18.00"),
    ("NW-ANISEED", "Aniseed Syrup (12 x 550 ml)", "Condiments", "Box", "10.00"),
    ("NW-CAJUN", "Chef Anton's Cajun Seasoning (48 jars)", "Condiments", "Box", "22.00"),
    ("NW-GUMBO", "Chef Anton's Gumbo Mix (36 boxes)", "Condiments", "Box", "21.35"),
    ("NW-BOYSEN", "Grandma's Boysenberry Spread (12 jars)", "Condiments", "Box", "25.00"),
    ("NW-BISCUIT", "Scottish Chocolate Biscuits (10 boxes)", "Confections", "Box", "9.20"),
    ("NW-TARTE", "Tarte au Sucre", "Confections", "Nos", "49.30"),
    ("NW-PAVLOVA", "Pavlova", "Confections", "Nos", "17.45"),
    ("NW-CAMEMBERT", "Camembert Pierrot (15 x 300 g)", "Dairy Products", "Box", "34.00"),
    ("NW-MASCARPONE", "Mascarpone Fabioli (24 x 200 g)", "Dairy Products", "Box", "32.00"),
    ("NW-GORGONZOLA", "Gorgonzola Telino (12 x 100 g)", "Dairy Products", "Box", "12.50"),
    ("NW-GNOCCHI", "Gnocchi di nonna Alice (24 x 250 g)", "Grains/Cereals", "Box", "38.00"),
    ("NW-RAVIOLI", "Ravioli Angelo (24 x 250 g)", "Grains/Cereals", "Box", "19.50"),
    ("NW-IKURA", "Ikura (12 x 200 ml jars)", "Seafood", "Box", "31.00"),
    ("NW-CRAB", "Boston Crab Meat (24 x 4 oz tins)", "Seafood", "Box", "18.40"),
    ("NW-TASTING", "On-site tasting session", "Services", "Hour", "120.00"),
    ("NW-MENU", "Menu consulting", "Services", "Day", "850.00"),
]
# name, group, territory, industry, currency, contacts (first, last, designation)
CUSTOMERS = [
    (
        "Alfreds Futterkiste",
        "Commercial",
        "Germany",
        "Food & Beverage",
        "EUR",
        [("Maria", "Anders", "Owner")],
    ),
    (
        "Bon App' Bistro",
        "Hospitality",
        "France",
        "Hospitality",
        "EUR",
        [("Laurence", "Lebihan", "Head Chef"), ("Paul", "Henriot", "Purchasing")],
    ),
    (
        "Blauer See Delikatessen",
        "Retail Chain",
        "Germany",
        "Retail",
        "EUR",
        [("Hanna", "Moos", "Category Manager")],
    ),
    (
        "Consolidated Holdings",
        "Distributor",
        "United Kingdom",
        "Logistics",
        "GBP",
        [("Elizabeth", "Brown", "Buyer")],
    ),
    (
        "Eastern Connection",
        "Distributor",
        "United Kingdom",
        "Food & Beverage",
        "GBP",
        [("Ann", "Devon", "Managing Director"), ("Thomas", "Hardy", "Buyer")],
    ),
    (
        "Great Lakes Food Market",
        "Retail Chain",
        "United States",
        "Retail",
        "USD",
        [("Howard", "Snyder", "Marketing Manager")],
    ),
    (
        "Hungry Coyote Import Store",
        "Retail Chain",
        "United States",
        "Retail",
        "USD",
        [("Yoshi", "Latimer", "Sales Representative")],
    ),
    (
        "Lonesome Pine Restaurant",
        "Hospitality",
        "United States",
        "Hospitality",
        "USD",
        [("Fran", "Wilson", "Sales Manager")],
    ),
    (
        "Old World Delicatessen",
        "Commercial",
        "United States",
        "Retail",
        "USD",
        [("Rene", "Phillips", "Owner")],
    ),
    (
        "Mumbai Spice Traders",
        "Distributor",
        "India",
        "Food & Beverage",
        "INR",
        [("Priya", "Raman", "Procurement Head")],
    ),
    (
        "Bangalore Hotels Group",
        "Hospitality",
        "India",
        "Hospitality",
        "INR",
        [("Arjun", "Mehta", "F&B Director"), ("Kavya", "Iyer", "Purchasing")],
    ),
    (
        "City of Seattle Schools",
        "Government",
        "United States",
        "Education",
        "USD",
        [("Karl", "Jablonski", "Nutrition Services")],
    ),
]
LEAD_COMPANIES = [
    "Ana Trujillo Emparedados",
    "Antonio Moreno Taqueria",
    "Around the Horn",
    "Berglunds Snabbkop",
    "Blondel Pere et Fils",
    "Bolido Comidas",
    "Cactus Comidas",
    "Centro Comercial Moctezuma",
    "Chop-suey Chinese",
    "Comercio Mineiro",
    "Du Monde Entier",
    "Ernst Handel",
    "Familia Arquibaldo",
    "Folies Gourmandes",
    "Folk och Fa",
    "Frankenversand",
    "France Restauration",
    "Franchi S.p.A.",
    "Furia Bacalhau",
    "Galeria del Gastronomo",
    "Godos Cocina Tipica",
    "Gourmet Lanchonetes",
    "Hanari Carnes",
    "Hilarion Abastos",
    "Island Trading",
    "Koniglich Essen",
    "La Corne d'Abondance",
    "Laughing Bacchus Wine Cellars",
    "Lehmanns Marktstand",
    "Let's Stop N Shop",
]
FIRST_NAMES = [
    "Ana",
    "Antonio",
    "Thomas",
    "Christina",
    "Frederique",
    "Martin",
    "Patricio",
    "Francisco",
    "Yang",
    "Pedro",
    "Janine",
    "Roland",
    "Aria",
    "Martine",
    "Maria",
    "Peter",
    "Carine",
    "Paolo",
    "Lino",
    "Eduardo",
    "Jose",
    "Andre",
    "Mario",
    "Carlos",
    "Helen",
    "Philip",
    "Daniel",
    "Yoshi",
    "Renate",
    "Jaime",
]
LAST_NAMES = [
    "Trujillo",
    "Moreno",
    "Hardy",
    "Berglund",
    "Citeaux",
    "Sommer",
    "Simpson",
    "Chang",
    "Wang",
    "Afonso",
    "Labrune",
    "Mendel",
    "Cruz",
    "Rance",
    "Larsson",
    "Franken",
    "Schmitt",
    "Accorti",
    "Rodriguez",
    "Saavedra",
    "Pedro",
    "Fonseca",
    "Pontes",
    "Hernandez",
    "Bennett",
    "Cramer",
    "Tonini",
    "Tannamuri",
    "Messner",
    "Yorres",
]
LEAD_TERRITORIES = [
    "United States",
    "Canada",
    "United Kingdom",
    "Germany",
    "France",
    "India",
    "Australia",
]
LEAD_STATUSES = (
    ["Lead"] * 10 + ["Open"] * 8 + ["Replied"] * 5 + ["Interested"] * 5 + ["Do Not Contact"] * 2
)
DISCUSSION = [
    "Seasonal menu refresh",
    "Private-label range for the holidays",
    "Weekly delivery schedule",
    "Samples for the tasting panel",
    "Volume discount for a 12-month contract",
    "Replace current supplier in Q3",
]
COMMENTS = [
    "Called the buyer: budget is approved, waiting for the tasting date.",
    "Sent the price list and samples.",
    "They compare us with their current supplier; follow up next week.",
    "Asked for a delivery every Tuesday.",
]

# How many of the 40 opportunities end in each outcome.
OPPORTUNITIES_FROM_LEADS = 10
LEADS_CONVERTED = 3  # lead -> opportunity -> customer
OPPORTUNITIES_FROM_CUSTOMERS = 27
OUTCOMES = ["Lost"] * 6 + ["Replied"] * 6 + ["Closed"] * 4 + ["Open"] * 24
