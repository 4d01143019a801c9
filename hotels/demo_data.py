"""Reference data for the demo catalogue: real cities, plausible names, amenities."""

# city, country, latitude, longitude, timezone, currency, price factor
CITIES = [
    ("Paris", "France", 48.8566, 2.3522, "Europe/Paris", "EUR", 1.3),
    ("Lyon", "France", 45.7640, 4.8357, "Europe/Paris", "EUR", 0.9),
    ("Nice", "France", 43.7102, 7.2620, "Europe/Paris", "EUR", 1.1),
    ("London", "United Kingdom", 51.5072, -0.1276, "Europe/London", "GBP", 1.2),
    ("Edinburgh", "United Kingdom", 55.9533, -3.1883, "Europe/London", "GBP", 0.9),
    ("Barcelona", "Spain", 41.3874, 2.1686, "Europe/Madrid", "EUR", 1.0),
    ("Madrid", "Spain", 40.4168, -3.7038, "Europe/Madrid", "EUR", 0.95),
    ("Lisbon", "Portugal", 38.7223, -9.1393, "Europe/Lisbon", "EUR", 0.85),
    ("Rome", "Italy", 41.9028, 12.4964, "Europe/Rome", "EUR", 1.1),
    ("Florence", "Italy", 43.7696, 11.2558, "Europe/Rome", "EUR", 1.05),
    ("Berlin", "Germany", 52.5200, 13.4050, "Europe/Berlin", "EUR", 0.9),
    ("Munich", "Germany", 48.1351, 11.5820, "Europe/Berlin", "EUR", 1.0),
    ("Amsterdam", "Netherlands", 52.3676, 4.9041, "Europe/Amsterdam", "EUR", 1.25),
    ("Zurich", "Switzerland", 47.3769, 8.5417, "Europe/Zurich", "CHF", 1.5),
    ("Geneva", "Switzerland", 46.2044, 6.1432, "Europe/Zurich", "CHF", 1.45),
    ("New York", "United States", 40.7128, -74.0060, "America/New_York", "USD", 1.6),
    ("San Francisco", "United States", 37.7749, -122.4194, "America/Los_Angeles", "USD", 1.5),
    ("Chicago", "United States", 41.8781, -87.6298, "America/Chicago", "USD", 1.1),
    ("Vienna", "Austria", 48.2082, 16.3738, "Europe/Vienna", "EUR", 0.95),
    ("Prague", "Czechia", 50.0755, 14.4378, "Europe/Prague", "EUR", 0.7),
]

NAME_PREFIXES = [
    "Hôtel",
    "Grand Hotel",
    "Hotel",
    "The",
    "Maison",
    "Residence",
    "Casa",
    "Villa",
    "Boutique Hotel",
    "Inn",
]
NAME_WORDS = [
    "Lumière",
    "Riverside",
    "Belvedere",
    "Astoria",
    "Garden",
    "Harbour",
    "Opera",
    "Central",
    "Bellevue",
    "Majestic",
    "Royal",
    "Park",
    "Cathedral",
    "Market",
    "Old Town",
    "Station",
    "Bridge",
    "Plaza",
    "Orchard",
    "Lantern",
    "Meridian",
    "Atlas",
    "Cedar",
    "Juniper",
    "Saffron",
    "Ivy",
    "Linden",
    "Marble",
    "Copper",
    "Velvet",
]
STREETS = [
    "Main Street",
    "Rue de la Paix",
    "Market Square",
    "Station Road",
    "Harbour Walk",
    "Park Lane",
    "Via Roma",
    "Calle Mayor",
    "Königstraße",
    "Canal Street",
    "Avenue des Fleurs",
    "High Street",
]

HOTEL_AMENITIES = [
    ("wifi", "Free Wi-Fi"),
    ("breakfast", "Breakfast available"),
    ("parking", "Parking"),
    ("pool", "Swimming pool"),
    ("spa", "Spa"),
    ("gym", "Fitness centre"),
    ("restaurant", "Restaurant"),
    ("bar", "Bar"),
    ("pets", "Pets allowed"),
    ("accessible", "Step-free access"),
    ("airport-shuttle", "Airport shuttle"),
    ("ac", "Air conditioning"),
]
ROOM_AMENITIES = [
    ("tv", "Flat-screen TV"),
    ("minibar", "Minibar"),
    ("kettle", "Tea and coffee"),
    ("bath", "Bathtub"),
    ("balcony", "Balcony"),
    ("desk", "Work desk"),
]

# name, max adults, max children, max occupancy, beds, size m², price factor
ROOM_TYPES = [
    ("Single Room", 1, 0, 1, "1 single bed", 14, 0.7),
    ("Double Room", 2, 1, 3, "1 double bed", 20, 1.0),
    ("Twin Room", 2, 0, 2, "2 single beds", 21, 1.0),
    ("Superior Double", 2, 1, 3, "1 king bed", 26, 1.3),
    ("Family Room", 2, 2, 4, "1 double bed and 2 single beds", 32, 1.6),
    ("Junior Suite", 2, 2, 4, "1 king bed and a sofa bed", 40, 2.1),
]

DESCRIPTIONS = [
    "A calm, well-run hotel a short walk from the sights, with bright rooms, friendly staff and a generous "
    "breakfast served until 11.",
    "Rooms look onto a quiet courtyard; the bar on the ground floor is a local favourite in the evening.",
    "Recently renovated, with good beds, strong showers and everything you need for a city break or a work trip.",
    "Family-run for three generations, known for its warm welcome and its rooftop terrace.",
]
