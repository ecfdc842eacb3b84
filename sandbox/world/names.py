"""Word lists for deterministic, realistic-looking companies, people and campaigns."""

COMPANY_WORDS_A = (
    "Acme Alpine Amber Apex Arbor Atlas Aurora Beacon Birch Blue Bright Cedar Cinder Clear Cobalt "
    "Copper Coral Crest Crystal Delta Drift Echo Ember Evergreen Falcon Fern Flint Forge Frost Glacier "
    "Granite Harbor Hawk Helix Horizon Iris Ivory Jade Juniper Keystone Lark Linden Lumen Maple Marble "
    "Meridian Mesa Nimbus Noble North Nova Oak Onyx Orbit Pacific Pine Pioneer Polar Prairie Quartz "
    "Raven Redwood Ridge River Sable Sage Sierra Silver Slate Solstice Spruce Summit Tidal Timber "
    "Topaz Trail Vantage Velvet Vertex Willow Zenith"
).split()
COMPANY_WORDS_B = (
    "Analytics Apps Bio Cloud Commerce Consulting Data Design Digital Dynamics Energy Foods Freight "
    "Group Health Holdings Interactive Labs Logistics Media Metrics Networks Partners Payments "
    "Robotics Security Software Solutions Studio Systems Tech Travel Ventures Works"
).split()
COMPANY_SUFFIXES = ("Inc", "LLC", "Ltd", "GmbH", "Co", "", "", "", "")
TLDS = ("com", "com", "com", "io", "co", "ai", "net", "de", "co.uk")
INDUSTRIES = (
    "COMPUTER_SOFTWARE", "MARKETING_AND_ADVERTISING", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE",
    "RETAIL", "LOGISTICS_AND_SUPPLY_CHAIN", "EDUCATION_MANAGEMENT", "REAL_ESTATE", "STAFFING_AND_RECRUITING",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
)
FIRST_NAMES = (
    "Aaliyah Aaron Abigail Adam Adrian Aisha Alan Alex Alice Amara Amelia Ana Andre Andrew Anna Arjun "
    "Ava Ben Bianca Bruno Caleb Camila Carlos Carmen Chen Chloe Chris Claire Daniel David Diego Dmitri "
    "Elena Eli Emily Emma Ethan Eva Fatima Felix Fiona Gabriel Grace Hana Hannah Hugo Ian Ines Isaac "
    "Isabel Ivan Jack James Jana Javier Jin Joao Jonas Jose Julia Kai Kate Kenji Lara Laura Leo Liam "
    "Lina Lucas Lucy Luis Maya Mei Mia Miguel Mila Nadia Naomi Nina Noah Olga Omar Oscar Paula Priya "
    "Rafael Ravi Rosa Ruby Sam Sara Sofia Tariq Theo Tom Uma Victor Yara Yusuf Zoe"
).split()
LAST_NAMES = (
    "Adams Ahmed Alvarez Anderson Baker Bauer Becker Brown Campbell Carter Chen Clark Costa Cruz Davis "
    "Diaz Dubois Evans Fischer Garcia Gomez Gonzalez Green Hall Hansen Harris Hernandez Hill Hoffmann "
    "Ito Jackson Jensen Johnson Jones Kato Kim King Klein Kowalski Kumar Lee Lewis Lopez Martin "
    "Martinez Meyer Miller Moore Morales Muller Murphy Nakamura Nguyen Novak O'Brien Okafor Olsen Park "
    "Patel Perez Petrov Ramirez Reyes Roberts Robinson Rodriguez Rossi Sanchez Santos Schmidt Schneider "
    "Scott Silva Singh Smith Suzuki Tanaka Taylor Thomas Thompson Torres Walker Wang Weber White Williams "
    "Wilson Wright Yamamoto Young Zhang"
).split()
TITLES = (
    "Head of Growth", "VP Marketing", "Sales Development Rep", "Founder", "CEO", "COO", "RevOps Manager",
    "Marketing Manager", "Account Executive", "Head of Sales", "Growth Marketer", "Finance Manager",
    "Operations Lead", "CTO", "Demand Generation Manager",
)
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me")
TIME_ZONES = (
    "America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin",
    "Europe/Paris", "Asia/Singapore", "Australia/Sydney", "America/Sao_Paulo",
)
