"""What every presenter shares (the pages, the PDF, the alerts): the catalog of every string
in English and Russian, looking it up, and numbers, instants and durations as each language
writes them. No session, no database: a value and a language in, text out."""
