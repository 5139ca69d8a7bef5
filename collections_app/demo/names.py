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
DIVISIONS = [
    "Midwest", "Northeast", "Southeast", "Pacific", "Mountain", "Gulf Coast", "Great Lakes",
    "Atlantic", "Central", "Western",
]  # fmt: skip
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
