"""Word lists the demo and generated customers are named from.

Domains end in ``.example`` (RFC 2606): a demo that sends dunning letters must never reach
a real company that happens to share a made-up name.
"""

# "North" + "wind", "Key" + "stone": compound trade names, the commonest B2B naming habit.
NAME_HEADS = [
    "North", "South", "East", "West", "Blue", "Red", "Silver", "Golden", "Iron", "Stone",
    "Key", "Oak", "Pine", "Cedar", "Maple", "River", "Lake", "Bay", "Harbor", "Summit",
    "High", "Clear", "Bright", "Fair", "Green", "Copper", "Granite", "Eagle", "Falcon", "Star",
]  # fmt: skip
NAME_TAILS = [
    "wind", "water", "stone", "bridge", "field", "ridge", "brook", "wood", "gate", "point",
    "view", "line", "port", "crest", "dale", "haven", "land", "mark", "ford", "well",
]  # fmt: skip
NAME_WORDS = [
    "Atlas", "Pinnacle", "Meridian", "Vanguard", "Sterling", "Apex", "Beacon", "Liberty",
    "Pioneer", "Frontier", "Heritage", "Continental", "Allied", "United", "Premier", "Delta",
    "Titan", "Horizon", "Cornerstone", "Benchmark", "Keystone", "Patriot", "Sentinel",
    "Crown", "Anchor", "Compass", "Landmark", "Monarch", "Paragon", "Trident",
]  # fmt: skip
FOUNDER_NAMES = [
    "Hartley", "Whitmore", "Caldwell", "Pemberton", "Ashford", "Langley", "Thornton",
    "Halvorsen", "Brennan", "Castellano", "Fairbanks", "Garrison", "Hollister", "Kensington",
    "Lockwood", "Merriweather", "Nakamura", "Okafor", "Prescott", "Quinlan", "Rutherford",
    "Sandoval", "Talbot", "Underwood", "Vasquez", "Winslow", "Yardley", "Ziegler",
    "Abernathy", "Donnelly",
]  # fmt: skip
INDUSTRIES = [
    "Packaging", "Fasteners", "Logistics", "Plastics", "Metals", "Steel", "Foods",
    "Beverages", "Electrical Supply", "Industrial Supply", "Paper Products", "Chemicals",
    "Tooling", "Freight", "Textiles", "Building Supply", "Lumber", "Machinery", "Hydraulics",
    "Components", "Electronics", "Office Supply", "Janitorial Supply", "Medical Supply",
    "Auto Parts", "Printing", "Labels", "Coatings", "Adhesives", "Glass", "Ceramics",
    "Mechanical", "Plumbing Supply", "Instruments", "Controls", "Bearings", "Valves", "Pumps",
    "Castings", "Forge", "Farm Supply", "Distribution", "Wholesale", "Marine Supply",
    "Safety Products", "Containers", "Pallets", "Cold Storage", "Engineering", "Fabrication",
]  # fmt: skip
PARENT_WORDS = ["Holdings", "Group", "Industries", "Enterprises"]
CITIES = [
    "Dayton", "Tulsa", "Spokane", "Albany", "Fresno", "Toledo", "Omaha", "Reno", "Savannah",
    "Boise", "Wichita", "Akron", "Mobile", "Lansing", "Erie", "Peoria", "Duluth", "Macon",
    "Provo", "Laredo",
]  # fmt: skip

# Legal-form suffix, and the country flavour of the phone number, by the customer's currency.
SUFFIXES = {
    "USD": ["Inc.", "Co.", "LLC", "Corp.", "Company"],
    "CAD": ["Ltd.", "Inc.", "Corp."],
    "GBP": ["Ltd", "Ltd", "plc"],
    "EUR": ["GmbH", "AG", "B.V.", "S.A.S.", "S.p.A."],
}

FIRST_NAMES = [
    "Maria", "James", "Aisha", "Daniel", "Mei", "Robert", "Priya", "Michael", "Fatima",
    "David", "Sofia", "Kenji", "Olivia", "Carlos", "Hannah", "Tomasz", "Grace", "Ahmed",
    "Emily", "Luis", "Chloe", "Samuel", "Ingrid", "Kwame", "Laura", "Patrick", "Yuki",
    "Rachel", "Mateo", "Nora", "Ethan", "Leila", "Brian", "Anika", "Victor", "Julia",
    "Oscar", "Tanya", "Marcus", "Elena", "Henry", "Zara", "Peter", "Amara", "Lucas",
    "Sarah", "Diego", "Claire", "Ivan", "Megan",
]  # fmt: skip
LAST_NAMES = [
    "Lopez", "Chen", "Patel", "Johnson", "Nguyen", "Schmidt", "Okoye", "Murphy", "Rossi",
    "Kowalski", "Garcia", "Tanaka", "Williams", "Haddad", "Brown", "Novak", "Singh",
    "Martin", "Dubois", "Andersen", "Reyes", "Fischer", "Kim", "O'Brien", "Mensah",
    "Costa", "Walsh", "Ivanova", "Lee", "Moreau", "Jensen", "Ali", "Bauer", "Clarke",
    "Santos", "Yilmaz", "Park", "Hughes", "Lindqvist", "Romero", "Baker", "Sato",
    "Mahlangu", "Ferreira", "Grant", "Volkov", "Mendes", "Shah", "Hoffmann", "Doyle",
]  # fmt: skip

AP_ROLES = ["Accounts Payable", "AP Clerk", "AP Specialist", "Accounts Payable Clerk"]
SECOND_ROLES = ["AP Manager", "Controller", "Finance Manager", "Treasury"]

US_AREA_CODES = ["312", "614", "216", "412", "313", "414", "317", "502", "615", "901"]
CA_AREA_CODES = ["416", "604", "514", "403", "613", "905"]
EU_PHONE_PREFIXES = {
    "GmbH": "+49 30",
    "AG": "+49 89",
    "B.V.": "+31 20",
    "S.A.S.": "+33 1",
    "S.p.A.": "+39 02",
}

PAYMENT_METHODS = {
    "USD": [("ACH", 55), ("Check", 30), ("Wire", 10), ("Card", 5)],
    "CAD": [("EFT", 70), ("Cheque", 20), ("Wire", 10)],
    "GBP": [("BACS", 80), ("Faster Payment", 15), ("Wire", 5)],
    "EUR": [("SEPA", 85), ("Wire", 15)],
}

# Billing addresses for dunning letters, in each country's own order, by currency or legal form.
STREETS = [
    "Commerce", "Industrial", "Harbor", "Mill", "Station", "Market", "Depot", "Foundry",
    "Canal", "Quarry", "Park", "Lake", "Ridge", "Union", "Center",
]  # fmt: skip
US_PLACES = [
    ("Dayton", "OH", "45402"), ("Tulsa", "OK", "74103"), ("Spokane", "WA", "99201"),
    ("Albany", "NY", "12207"), ("Toledo", "OH", "43604"), ("Omaha", "NE", "68102"),
    ("Savannah", "GA", "31401"), ("Boise", "ID", "83702"), ("Wichita", "KS", "67202"),
    ("Peoria", "IL", "61602"),
]  # fmt: skip
CA_PLACES = [
    ("Toronto", "ON", "M5V 2T6"), ("Vancouver", "BC", "V6B 1A1"), ("Montréal", "QC", "H2Y 1C6"),
    ("Calgary", "AB", "T2P 1J9"), ("Ottawa", "ON", "K1P 1J1"),
]  # fmt: skip
GB_PLACES = [
    ("Leeds", "LS1 4DY"), ("Bristol", "BS1 4ST"), ("Manchester", "M1 1AE"),
    ("Sheffield", "S1 2HE"), ("Glasgow", "G1 1XQ"), ("Leicester", "LE1 5WW"),
]  # fmt: skip
EU_PLACES = {
    "GmbH": ("Germany", "straße", [("10115", "Berlin"), ("20095", "Hamburg"), ("50667", "Köln")]),
    "AG": ("Germany", "weg", [("80331", "München"), ("70173", "Stuttgart")]),
    "B.V.": ("Netherlands", "straat", [("1012 AB", "Amsterdam"), ("3011 AD", "Rotterdam")]),
    "S.A.S.": ("France", "", [("75002", "Paris"), ("69002", "Lyon")]),
    "S.p.A.": ("Italy", "", [("20121", "Milano"), ("10121", "Torino")]),
}
GERMAN_FORMS = {"GmbH", "AG"}  # their letters go out in German
