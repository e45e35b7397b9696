"""The demo city: a coastal city of ~500,000 modelled on Sevastopol, its services and districts.

Plain data, read by the seed. Each department has a pace: `accept_min` is its median time to
accept a ticket (minutes), `pace` the median time to resolve as a share of the category's SLA.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    name_ru: str
    accept_min: float
    pace: float


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_ru: str
    department: str
    sla_hours: float
    weight: float
    season: str = "flat"  # flat | heating | winter | spring | summer
    urgent: bool = False


@dataclass(frozen=True)
class District:
    code: str
    name: str
    name_ru: str
    lat: float
    lon: float
    weight: float
    streets: tuple[str, ...]


@dataclass(frozen=True)
class Channel:
    code: str
    name: str
    name_ru: str
    kind: str
    share: float


CITY_CENTER = (44.605, 33.525)

DEPARTMENTS: tuple[Department, ...] = (
    Department("ROADS", "Road Management", "Управление дорожного хозяйства", 25, 0.30),
    Department("WATER", "Vodokanal (water and sewerage)", "Водоканал", 12, 0.22),
    Department("POWER", "City Power Grid", "Севэлектросети", 10, 0.18),
    Department("HEAT", "Heat Supply", "Севтеплоэнерго", 8, 0.20),
    Department("LIGHT", "Street Lighting", "Горсвет", 30, 0.35),
    Department("WASTE", "Waste Collection", "Спецавтобаза", 15, 0.25),
    Department("GREEN", "Parks and Landscaping", "Управление благоустройства", 45, 0.40),
    Department("HOUSING", "Housing Inspection", "Госжилнадзор", 40, 0.36),
    Department("MC_GAG", "Gagarinsky Managing Company", "УК Гагаринского района", 35, 0.33),
    Department("MC_LEN", "Leninsky Managing Company", "УК Ленинского района", 30, 0.28),
    Department("MC_NAKH", "Nakhimovsky Managing Company", "УК Нахимовского района", 50, 0.42),
    Department("MC_BAL", "Balaklavsky Managing Company", "УК Балаклавского района", 55, 0.38),
    Department("GAS", "Sevastopolgaz", "Севастопольгаз", 6, 0.15),
    Department("TRANSPORT", "Public Transport", "Управление транспорта", 35, 0.30),
    Department("TRAFFIC", "Traffic Management", "Центр организации дорожного движения", 30, 0.27),
    Department("PARKING", "Parking Service", "Городские парковки", 40, 0.30),
    Department("SNOW", "Winter Road Service", "Служба зимнего содержания", 15, 0.25),
    Department("STORM", "Storm Drains", "Служба ливневой канализации", 35, 0.34),
    Department("BEACH", "Beaches and Embankments", "Управление пляжей и набережных", 50, 0.35),
    Department("TREES", "Tree Care", "Служба озеленения", 60, 0.40),
    Department("ANIMALS", "Stray Animals", "Служба обращения с животными", 45, 0.33),
    Department("ELEVATOR", "Elevator Service", "Лифтовое хозяйство", 12, 0.20),
    Department("CEMETERY", "Ritual Services", "Ритуальная служба", 90, 0.30),
    Department("MARKETS", "Trade and Markets", "Управление торговли", 80, 0.35),
    Department("ADS", "Outdoor Advertising", "Управление наружной рекламы", 90, 0.32),
    Department("CONSTR", "Construction Oversight", "Стройнадзор", 70, 0.36),
    Department("ENV", "Environmental Protection", "Экологический контроль", 60, 0.34),
    Department("HEALTH", "Health Department", "Департамент здравоохранения", 40, 0.25),
    Department("EDU", "Education Department", "Департамент образования", 60, 0.28),
    Department("SOCIAL", "Social Protection", "Департамент социальной защиты", 45, 0.30),
    Department("CULTURE", "Culture Department", "Департамент культуры", 90, 0.30),
    Department("SPORT", "Sports Department", "Спорткомитет", 90, 0.30),
    Department("EMERGENCY", "Civil Defence", "Служба гражданской защиты", 5, 0.12),
    Department("POLICE", "Public Order Liaison", "Взаимодействие с полицией", 30, 0.25),
    Department("LAND", "Land and Property", "Департамент имущественных отношений", 120, 0.30),
    Department("ARCH", "Architecture and Planning", "Департамент архитектуры", 120, 0.30),
    Department("TELECOM", "Telecom Networks", "Связь и телекоммуникации", 40, 0.28),
    Department("DISPATCH", "Unified Dispatch 1563", "Единая диспетчерская служба 1563", 3, 0.15),
)

CATEGORIES: tuple[Category, ...] = (
    Category("pothole", "Pothole", "Яма на дороге", "ROADS", 72, 9.0, "spring"),
    Category("road_damage", "Damaged road surface", "Разрушение дорожного покрытия", "ROADS", 168, 2.0, "spring"),
    Category("sidewalk", "Broken sidewalk", "Повреждение тротуара", "ROADS", 168, 2.0),
    Category("curb", "Damaged curb", "Повреждён бордюр", "ROADS", 168, 0.6),
    Category("water_leak", "Water leak", "Утечка воды", "WATER", 24, 6.0, urgent=True),
    Category("no_water", "No cold water", "Нет холодной воды", "WATER", 12, 4.0, "summer", urgent=True),
    Category("water_quality", "Poor water quality", "Плохое качество воды", "WATER", 24, 1.2),
    Category("sewer_blockage", "Sewer blockage", "Засор канализации", "WATER", 12, 3.0, urgent=True),
    Category("hydrant", "Broken hydrant", "Неисправный гидрант", "WATER", 72, 0.3),
    Category("no_power", "No electricity", "Нет электричества", "POWER", 6, 4.0, "winter", urgent=True),
    Category("power_line", "Damaged power line", "Обрыв провода", "POWER", 4, 0.8, urgent=True),
    Category("transformer", "Transformer noise or fault", "Неисправность подстанции", "POWER", 24, 0.4),
    Category("no_heating", "No heating", "Нет отопления", "HEAT", 12, 5.0, "heating", urgent=True),
    Category("no_hot_water", "No hot water", "Нет горячей воды", "HEAT", 24, 5.0, "heating"),
    Category("heating_leak", "Heating pipe leak", "Порыв теплотрассы", "HEAT", 8, 1.0, "heating", urgent=True),
    Category("street_light", "Street light out", "Не горит уличный фонарь", "LIGHT", 72, 6.0, "winter"),
    Category("light_damaged", "Damaged lamp post", "Повреждена опора освещения", "LIGHT", 72, 0.8),
    Category("garbage", "Uncollected garbage", "Не вывезен мусор", "WASTE", 24, 8.0, "summer"),
    Category("bulky_waste", "Bulky waste", "Крупногабаритный мусор", "WASTE", 48, 2.0),
    Category("illegal_dump", "Illegal dump", "Несанкционированная свалка", "WASTE", 72, 1.5, "summer"),
    Category("bins", "Broken or missing bins", "Нет контейнеров", "WASTE", 72, 1.0),
    Category("playground", "Damaged playground", "Повреждена детская площадка", "GREEN", 72, 1.5, "summer"),
    Category("bench", "Broken bench", "Сломана скамейка", "GREEN", 168, 0.6, "summer"),
    Category("grass", "Grass not mowed", "Не скошена трава", "GREEN", 168, 1.2, "summer"),
    Category("park_litter", "Litter in a park", "Мусор в парке", "GREEN", 48, 1.5, "summer"),
    Category("manhole", "Missing manhole cover", "Открытый люк", "STORM", 8, 1.5, urgent=True),
    Category("flooding", "Street flooding", "Подтопление улицы", "STORM", 12, 1.0, "spring", urgent=True),
    Category("drain_blocked", "Blocked storm drain", "Засор ливнёвки", "STORM", 48, 1.0, "spring"),
    Category("roof_leak", "Roof leak", "Протекает крыша", "HOUSING", 48, 2.0, "winter"),
    Category("entrance_dirty", "Dirty stairwell", "Грязный подъезд", "MC_LEN", 48, 2.0),
    Category("entrance_door", "Broken entrance door", "Сломана дверь подъезда", "MC_GAG", 48, 1.2),
    Category("yard_cleaning", "Yard not cleaned", "Не убирается двор", "MC_NAKH", 48, 1.5),
    Category("basement_flood", "Flooded basement", "Затоплен подвал", "MC_BAL", 24, 0.8, "spring"),
    Category("facade", "Damaged facade", "Повреждён фасад", "HOUSING", 168, 0.5),
    Category("gas_smell", "Smell of gas", "Запах газа", "GAS", 2, 0.8, urgent=True),
    Category("gas_meter", "Gas meter problem", "Неисправен газовый счётчик", "GAS", 72, 0.4),
    Category("bus_late", "Bus off schedule", "Автобус не по расписанию", "TRANSPORT", 72, 2.0),
    Category("bus_stop", "Damaged bus stop", "Повреждена остановка", "TRANSPORT", 168, 0.8),
    Category("traffic_light", "Traffic light out", "Не работает светофор", "TRAFFIC", 4, 1.5, urgent=True),
    Category("road_sign", "Missing road sign", "Нет дорожного знака", "TRAFFIC", 72, 0.8),
    Category("road_marking", "Faded road markings", "Стёрлась разметка", "TRAFFIC", 168, 0.6, "spring"),
    Category("illegal_parking", "Illegal parking", "Незаконная парковка", "PARKING", 24, 1.5),
    Category("abandoned_car", "Abandoned car", "Брошенный автомобиль", "PARKING", 168, 0.6),
    Category("snow", "Snow not cleared", "Не убран снег", "SNOW", 12, 3.0, "winter"),
    Category("ice", "Icy sidewalk", "Гололёд на тротуаре", "SNOW", 12, 2.0, "winter"),
    Category("beach_litter", "Litter on a beach", "Мусор на пляже", "BEACH", 48, 1.0, "summer"),
    Category("embankment", "Damaged embankment", "Повреждена набережная", "BEACH", 168, 0.3),
    Category("tree_fallen", "Fallen tree", "Упало дерево", "TREES", 12, 1.0, "winter", urgent=True),
    Category("tree_trim", "Tree needs trimming", "Требуется обрезка деревьев", "TREES", 336, 1.2),
    Category("stray_dogs", "Stray dogs", "Бездомные собаки", "ANIMALS", 72, 1.2),
    Category("elevator", "Elevator out of order", "Не работает лифт", "ELEVATOR", 24, 2.5, urgent=True),
    Category("noise", "Noise from construction", "Шум от стройки", "CONSTR", 72, 0.8),
    Category("illegal_building", "Unauthorised construction", "Самовольная постройка", "CONSTR", 336, 0.4),
    Category("air_pollution", "Smoke or burning", "Задымление, сжигание мусора", "ENV", 24, 0.6, "summer"),
    Category("illegal_trade", "Unauthorised street trade", "Незаконная торговля", "MARKETS", 72, 0.5, "summer"),
    Category("illegal_ads", "Illegal advertising", "Незаконная реклама", "ADS", 168, 0.4),
    Category("clinic_queue", "Clinic appointment problem", "Проблема с записью к врачу", "HEALTH", 72, 0.8, "winter"),
    Category("school", "School building problem", "Проблема в здании школы", "EDU", 168, 0.4),
    Category("no_internet", "Telecom cable damaged", "Повреждён кабель связи", "TELECOM", 48, 0.4),
    Category("other", "Other", "Прочее", "DISPATCH", 24, 1.5),
)

DISTRICTS: tuple[District, ...] = (
    District("centre", "City Centre", "Центр", 44.608, 33.522, 1.3,
             ("ул. Ленина", "ул. Большая Морская", "пр. Нахимова", "ул. Советская")),
    District("korabelnaya", "Korabelnaya Side", "Корабельная сторона", 44.598, 33.556, 1.0,
             ("ул. Героев Севастополя", "ул. Генерала Петрова", "ул. Рыбаков")),
    District("severnaya", "Northern Side", "Северная сторона", 44.640, 33.565, 0.7,
             ("ул. Богданова", "ул. Челюскинцев", "Симферопольское шоссе")),
    District("kamyshovaya", "Kamyshovaya Bay", "Камышовая бухта", 44.578, 33.432, 1.0,
             ("ул. Шевченко", "ул. Героев Бреста", "ул. Паршина")),
    District("streletskaya", "Streletskaya Bay", "Стрелецкая бухта", 44.596, 33.478, 1.1,
             ("пр. Гагарина", "ул. Колобова", "ул. Меньшикова")),
    District("gagarinsky", "Gagarinsky", "Гагаринский", 44.580, 33.463, 1.4,
             ("пр. Октябрьской революции", "ул. Вакуленчука", "ул. Астана Кесаева")),
    District("ostryakova", "Ostryakova", "Острякова", 44.574, 33.522, 1.2,
             ("пр. Генерала Острякова", "ул. Горпищенко", "ул. Кулакова")),
    District("khrustaleva", "Khrustaleva", "Хрусталёва", 44.585, 33.497, 1.1,
             ("ул. Хрусталёва", "ул. Чапаева", "ул. Гоголя")),
    District("inkerman", "Inkerman", "Инкерман", 44.613, 33.610, 0.4,
             ("ул. Малиновского", "ул. Менжинского")),
    District("balaklava", "Balaklava", "Балаклава", 44.505, 33.600, 0.5,
             ("ул. Новикова", "наб. Назукина", "ул. Крестовского")),
    District("fiolent", "Fiolent", "Фиолент", 44.525, 33.490, 0.3,
             ("Фиолентовское шоссе", "ул. Монастырское шоссе")),
    District("kacha", "Kacha", "Кача", 44.770, 33.545, 0.3,
             ("ул. Авиаторов", "ул. Нахимова (Кача)")),
)

CHANNELS: tuple[Channel, ...] = (
    Channel("phone", "Phone 1563", "Телефон 1563", "phone", 0.55),
    Channel("portal", "Web portal", "Портал", "portal", 0.24),
    Channel("vk", "VKontakte", "ВКонтакте", "social", 0.08),
    Channel("ok", "Odnoklassniki", "Одноклассники", "social", 0.03),
    Channel("telegram", "Telegram", "Телеграм", "social", 0.07),
    Channel("email", "E-mail", "Эл. почта", "email", 0.03),
)

# Places that draw complaints again and again: the map's hot spots (lat, lon, share of tickets).
HOT_SPOTS: tuple[tuple[float, float, float], ...] = (
    (44.6045, 33.5310, 0.020),  # Ushakova square
    (44.5832, 33.4698, 0.025),  # Oktyabrskoy Revolyutsii avenue
    (44.5735, 33.5205, 0.020),  # Ostryakova market
    (44.5960, 33.5540, 0.015),  # Korabelnaya old housing
    (44.5790, 33.4330, 0.020),  # Kamyshovaya new blocks
    (44.6420, 33.5610, 0.010),  # Northern side ferry
    (44.5870, 33.4960, 0.015),  # Khrustaleva
    (44.5000, 33.5990, 0.008),  # Balaklava embankment
)

# Land outline the districts are cut from (lat, lon), clockwise from the north-west.
LAND: tuple[tuple[float, float], ...] = (
    (44.800, 33.520), (44.800, 33.640), (44.660, 33.690), (44.480, 33.690),
    (44.480, 33.560), (44.510, 33.450), (44.560, 33.385), (44.600, 33.400),
    (44.625, 33.470), (44.622, 33.535), (44.660, 33.520),
)
