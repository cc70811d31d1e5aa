"""Identity sections of invented people that the linkage tests share: one woman written down
three ways (Albanian, by the police in Serbian Cyrillic, by an NGO with a nickname), and her
sister, who shares family name, father and village and must stay a person of her own."""

ARBER = {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir",
         "date_of_birth": "2007-04-12", "place_of_birth": "Prizren"}
POLICE_ARBER = {"given_name": "Арбер", "family_name": "Краснићи", "father_name": "Илир",
                "date_of_birth": "12.04.2007"}
NGO_ARBER = {"given_name": "Arber", "family_name": "Krasniqi", "other_names": ["Beri"],
             "birth_year": 2007, "place_of_birth": "Prizren", "father_name": "Ilir"}
DRITA = {"given_name": "Drita", "family_name": "Krasniqi", "father_name": "Ilir",
         "date_of_birth": "2009-09-03", "place_of_birth": "Prizren"}
