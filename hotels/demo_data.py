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
    ("Bordeaux", "France", 44.8378, -0.5792, "Europe/Paris", "EUR", 0.9),
    ("Marseille", "France", 43.2965, 5.3698, "Europe/Paris", "EUR", 0.85),
    ("Strasbourg", "France", 48.5734, 7.7521, "Europe/Paris", "EUR", 0.85),
    ("Manchester", "United Kingdom", 53.4808, -2.2426, "Europe/London", "GBP", 0.85),
    ("Bristol", "United Kingdom", 51.4545, -2.5879, "Europe/London", "GBP", 0.8),
    ("Dublin", "Ireland", 53.3498, -6.2603, "Europe/Dublin", "EUR", 1.1),
    ("Seville", "Spain", 37.3891, -5.9845, "Europe/Madrid", "EUR", 0.85),
    ("Valencia", "Spain", 39.4699, -0.3763, "Europe/Madrid", "EUR", 0.85),
    ("Porto", "Portugal", 41.1579, -8.6291, "Europe/Lisbon", "EUR", 0.8),
    ("Milan", "Italy", 45.4642, 9.1900, "Europe/Rome", "EUR", 1.1),
    ("Venice", "Italy", 45.4408, 12.3155, "Europe/Rome", "EUR", 1.3),
    ("Naples", "Italy", 40.8518, 14.2681, "Europe/Rome", "EUR", 0.85),
    ("Hamburg", "Germany", 53.5511, 9.9937, "Europe/Berlin", "EUR", 0.95),
    ("Cologne", "Germany", 50.9375, 6.9603, "Europe/Berlin", "EUR", 0.9),
    ("Brussels", "Belgium", 50.8503, 4.3517, "Europe/Brussels", "EUR", 0.95),
    ("Bruges", "Belgium", 51.2093, 3.2247, "Europe/Brussels", "EUR", 0.95),
    ("Copenhagen", "Denmark", 55.6761, 12.5683, "Europe/Copenhagen", "EUR", 1.3),
    ("Stockholm", "Sweden", 59.3293, 18.0686, "Europe/Stockholm", "EUR", 1.2),
    ("Oslo", "Norway", 59.9139, 10.7522, "Europe/Oslo", "EUR", 1.3),
    ("Helsinki", "Finland", 60.1699, 24.9384, "Europe/Helsinki", "EUR", 1.05),
    ("Budapest", "Hungary", 47.4979, 19.0402, "Europe/Budapest", "EUR", 0.7),
    ("Krakow", "Poland", 50.0647, 19.9450, "Europe/Warsaw", "EUR", 0.65),
    ("Warsaw", "Poland", 52.2297, 21.0122, "Europe/Warsaw", "EUR", 0.7),
    ("Athens", "Greece", 37.9838, 23.7275, "Europe/Athens", "EUR", 0.85),
    ("Istanbul", "Turkey", 41.0082, 28.9784, "Europe/Istanbul", "EUR", 0.8),
    ("Boston", "United States", 42.3601, -71.0589, "America/New_York", "USD", 1.4),
    ("Washington", "United States", 38.9072, -77.0369, "America/New_York", "USD", 1.3),
    ("Los Angeles", "United States", 34.0522, -118.2437, "America/Los_Angeles", "USD", 1.35),
    ("Seattle", "United States", 47.6062, -122.3321, "America/Los_Angeles", "USD", 1.25),
    ("Miami", "United States", 25.7617, -80.1918, "America/New_York", "USD", 1.3),
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
    ("Family Room", 3, 2, 4, "1 double bed and 2 single beds", 32, 1.6),
    ("Junior Suite", 3, 1, 4, "1 king bed and a sofa bed", 40, 2.1),
]

DESCRIPTIONS = [
    "A calm, well-run hotel a short walk from the sights, with bright rooms, friendly staff and a generous "
    "breakfast served until 11.",
    "Rooms look onto a quiet courtyard; the bar on the ground floor is a local favourite in the evening.",
    "Recently renovated, with good beds, strong showers and everything you need for a city break or a work trip.",
    "Family-run for three generations, known for its warm welcome and its rooftop terrace.",
]

# The demo catalogue's content in the other shipped languages (django-modeltranslation columns, hotels/translation.py),
# so the demo reads as a real multilingual site: hotel staff would type these in the admin.
TRANSLATIONS = {
    # amenities
    "Free Wi-Fi": {"fr": "Wi-Fi gratuit", "de": "Kostenloses WLAN", "es": "Wi-Fi gratis"},
    "Breakfast available": {
        "fr": "Petit-déjeuner disponible",
        "de": "Frühstück erhältlich",
        "es": "Desayuno disponible",
    },
    "Parking": {"fr": "Parking", "de": "Parkplatz", "es": "Aparcamiento"},
    "Swimming pool": {"fr": "Piscine", "de": "Schwimmbad", "es": "Piscina"},
    "Spa": {"fr": "Spa", "de": "Spa", "es": "Spa"},
    "Fitness centre": {"fr": "Salle de sport", "de": "Fitnessraum", "es": "Gimnasio"},
    "Restaurant": {"fr": "Restaurant", "de": "Restaurant", "es": "Restaurante"},
    "Bar": {"fr": "Bar", "de": "Bar", "es": "Bar"},
    "Pets allowed": {"fr": "Animaux acceptés", "de": "Haustiere erlaubt", "es": "Se admiten mascotas"},
    "Step-free access": {"fr": "Accès de plain-pied", "de": "Stufenloser Zugang", "es": "Acceso sin escalones"},
    "Airport shuttle": {"fr": "Navette aéroport", "de": "Flughafentransfer", "es": "Traslado al aeropuerto"},
    "Air conditioning": {"fr": "Climatisation", "de": "Klimaanlage", "es": "Aire acondicionado"},
    "Flat-screen TV": {
        "fr": "Télévision à écran plat",
        "de": "Flachbildfernseher",
        "es": "Televisor de pantalla plana",
    },
    "Minibar": {"fr": "Minibar", "de": "Minibar", "es": "Minibar"},
    "Tea and coffee": {"fr": "Thé et café", "de": "Tee und Kaffee", "es": "Té y café"},
    "Bathtub": {"fr": "Baignoire", "de": "Badewanne", "es": "Bañera"},
    "Balcony": {"fr": "Balcon", "de": "Balkon", "es": "Balcón"},
    "Work desk": {"fr": "Bureau", "de": "Schreibtisch", "es": "Escritorio"},
    # room types and their beds
    "Single Room": {"fr": "Chambre simple", "de": "Einzelzimmer", "es": "Habitación individual"},
    "Double Room": {"fr": "Chambre double", "de": "Doppelzimmer", "es": "Habitación doble"},
    "Twin Room": {"fr": "Chambre lits jumeaux", "de": "Zweibettzimmer", "es": "Habitación con dos camas"},
    "Superior Double": {"fr": "Chambre double supérieure", "de": "Superior-Doppelzimmer", "es": "Doble superior"},
    "Family Room": {"fr": "Chambre familiale", "de": "Familienzimmer", "es": "Habitación familiar"},
    "Junior Suite": {"fr": "Suite junior", "de": "Juniorsuite", "es": "Suite júnior"},
    "1 single bed": {"fr": "1 lit simple", "de": "1 Einzelbett", "es": "1 cama individual"},
    "1 double bed": {"fr": "1 lit double", "de": "1 Doppelbett", "es": "1 cama doble"},
    "2 single beds": {"fr": "2 lits simples", "de": "2 Einzelbetten", "es": "2 camas individuales"},
    "1 king bed": {"fr": "1 grand lit king size", "de": "1 Kingsize-Bett", "es": "1 cama extragrande"},
    "1 double bed and 2 single beds": {
        "fr": "1 lit double et 2 lits simples",
        "de": "1 Doppelbett und 2 Einzelbetten",
        "es": "1 cama doble y 2 camas individuales",
    },
    "1 king bed and a sofa bed": {
        "fr": "1 grand lit king size et un canapé-lit",
        "de": "1 Kingsize-Bett und ein Schlafsofa",
        "es": "1 cama extragrande y un sofá cama",
    },
    # rate plans and taxes
    "Flexible": {"fr": "Flexible", "de": "Flexibel", "es": "Flexible"},
    "Non-refundable": {"fr": "Non remboursable", "de": "Nicht erstattungsfähig", "es": "No reembolsable"},
    "Breakfast included": {"fr": "Petit-déjeuner inclus", "de": "Frühstück inbegriffen", "es": "Desayuno incluido"},
    "VAT 10%": {"fr": "TVA 10 %", "de": "MwSt. 10 %", "es": "IVA 10 %"},
    "City tax": {"fr": "Taxe de séjour", "de": "Kurtaxe", "es": "Tasa turística"},
    # hotel descriptions
    DESCRIPTIONS[0]: {
        "fr": "Un hôtel calme et bien tenu, à quelques pas des sites à visiter, avec des chambres lumineuses, un "
        "personnel aimable et un copieux petit-déjeuner servi jusqu’à 11 h.",
        "de": "Ein ruhiges, gut geführtes Hotel, nur wenige Gehminuten von den Sehenswürdigkeiten entfernt, mit hellen "
        "Zimmern, freundlichem Personal und einem reichhaltigen Frühstück bis 11 Uhr.",
        "es": "Un hotel tranquilo y bien llevado, a un corto paseo de los lugares de interés, con habitaciones "
        "luminosas, un personal amable y un desayuno abundante servido hasta las 11.",
    },
    DESCRIPTIONS[1]: {
        "fr": "Les chambres donnent sur une cour tranquille ; le bar du rez-de-chaussée est très apprécié des gens "
        "du quartier le soir.",
        "de": "Die Zimmer liegen zu einem ruhigen Innenhof; die Bar im Erdgeschoss ist abends ein beliebter Treffpunkt "
        "der Nachbarschaft.",
        "es": "Las habitaciones dan a un patio tranquilo; el bar de la planta baja es uno de los favoritos del barrio "
        "por la noche.",
    },
    DESCRIPTIONS[2]: {
        "fr": "Récemment rénové, avec de bons lits, des douches puissantes et tout le nécessaire pour un séjour en "
        "ville ou un voyage d’affaires.",
        "de": "Kürzlich renoviert, mit guten Betten, kräftigen Duschen und allem, was Sie für einen Städtetrip oder "
        "eine Geschäftsreise brauchen.",
        "es": "Recién reformado, con buenas camas, duchas potentes y todo lo necesario para una escapada urbana o un "
        "viaje de trabajo.",
    },
    DESCRIPTIONS[3]: {
        "fr": "Tenu par la même famille depuis trois générations, réputé pour son accueil chaleureux et sa terrasse "
        "sur le toit.",
        "de": "Seit drei Generationen in Familienhand, bekannt für seine herzliche Gastfreundschaft und seine "
        "Dachterrasse.",
        "es": "Regentado por la misma familia desde hace tres generaciones, conocido por su cálida acogida y su "
        "terraza en la azotea.",
    },
}
# A room type's description, per language: its beds, its size.
ROOM_DESCRIPTION = {
    "en": "{beds}, {size} m², private bathroom.",
    "fr": "{beds}, {size} m², salle de bains privative.",
    "de": "{beds}, {size} m², eigenes Bad.",
    "es": "{beds}, {size} m², baño privado.",
}
