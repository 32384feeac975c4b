/*
 * region.c — region names, ITL codes and postcode areas (see
 * include/bidbroker/region.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidbroker/region.h"

struct itl1 {
        const char *code;
        const char *name;
};

/* The twelve ITL1 regions, in code order; UKC..UKK are England. */
static const struct itl1 itl1[] = {
        { "UKC", "North East" },
        { "UKD", "North West" },
        { "UKE", "Yorkshire and the Humber" },
        { "UKF", "East Midlands" },
        { "UKG", "West Midlands" },
        { "UKH", "East of England" },
        { "UKI", "London" },
        { "UKJ", "South East" },
        { "UKK", "South West" },
        { "UKL", "Wales" },
        { "UKM", "Scotland" },
        { "UKN", "Northern Ireland" },
};
#define ENGLAND_LAST 8                  /* index of UKK */

enum place {
        P_CODE,                         /* the ITL1 code in .code */
        P_ENGLAND,
        P_GREAT_BRITAIN,
        P_UK,
        P_ANYWHERE,
        P_OUTSIDE,
};

struct place_name {
        const char *name;               /* normalised: lower case, "and", single spaces */
        enum place  place;
        const char *code;
};

/* Names seen in Contracts Finder's deliveryAddresses (region and
 * countryName), with common variants. */
static const struct place_name place_names[] = {
        { "north east", P_CODE, "UKC" },
        { "north east england", P_CODE, "UKC" },
        { "north west", P_CODE, "UKD" },
        { "north west england", P_CODE, "UKD" },
        { "yorkshire and the humber", P_CODE, "UKE" },
        { "yorkshire and humber", P_CODE, "UKE" },
        { "yorkshire and humberside", P_CODE, "UKE" },
        { "yorkshire", P_CODE, "UKE" },
        { "east midlands", P_CODE, "UKF" },
        { "west midlands", P_CODE, "UKG" },
        { "east of england", P_CODE, "UKH" },
        { "east england", P_CODE, "UKH" },
        { "east anglia", P_CODE, "UKH" },
        { "eastern", P_CODE, "UKH" },
        { "london", P_CODE, "UKI" },
        { "greater london", P_CODE, "UKI" },
        { "south east", P_CODE, "UKJ" },
        { "south east england", P_CODE, "UKJ" },
        { "south west", P_CODE, "UKK" },
        { "south west england", P_CODE, "UKK" },
        { "wales", P_CODE, "UKL" },
        { "cymru", P_CODE, "UKL" },
        { "scotland", P_CODE, "UKM" },
        { "northern ireland", P_CODE, "UKN" },
        { "england", P_ENGLAND, NULL },
        { "great britain", P_GREAT_BRITAIN, NULL },
        { "united kingdom", P_UK, NULL },
        { "united kingdom of great britain and northern ireland", P_UK, NULL },
        { "uk", P_UK, NULL },
        { "gb", P_UK, NULL },                   /* the ISO country code means the UK */
        { "gbr", P_UK, NULL },
        { "any region", P_ANYWHERE, NULL },
        { "anywhere", P_ANYWHERE, NULL },
        { "any", P_ANYWHERE, NULL },
        { "worldwide", P_ANYWHERE, NULL },
        { "world", P_ANYWHERE, NULL },
        { "rest of the world", P_ANYWHERE, NULL },
        { "international", P_ANYWHERE, NULL },
        { "isle of man", P_OUTSIDE, NULL },
        { "channel islands", P_OUTSIDE, NULL },
        { "jersey", P_OUTSIDE, NULL },
        { "guernsey", P_OUTSIDE, NULL },
        { "british oversea territories", P_OUTSIDE, NULL },
        { "british overseas territories", P_OUTSIDE, NULL },
        { "europe", P_OUTSIDE, NULL },
        { "ireland", P_OUTSIDE, NULL },
        { "republic of ireland", P_OUTSIDE, NULL },
};

bool
region_code_valid(const char *code)
{
        size_t n;

        if (code == NULL || code[0] != 'U' || code[1] != 'K' || code[2] < 'C' || code[2] > 'N')
                return false;
        n = strlen(code);
        if (n > 6)
                return false;
        for (size_t i = 3; i < n; i++)
                if (!(isdigit((unsigned char)code[i]) || isupper((unsigned char)code[i])))
                        return false;
        return true;
}

int
region_code_normalise(const char *in, char out[REGION_CODE_MAX])
{
        char tmp[REGION_CODE_MAX];
        size_t n = 0;

        if (in == NULL)
                return -EINVAL;
        while (isspace((unsigned char)*in))
                in++;
        while (*in && !isspace((unsigned char)*in)) {
                if (n >= sizeof(tmp) - 1)
                        return -EINVAL;
                tmp[n++] = (char)toupper((unsigned char)*in++);
        }
        while (isspace((unsigned char)*in))
                in++;
        if (*in != '\0')
                return -EINVAL;
        tmp[n] = '\0';
        if (tmp[0] == 'T' && tmp[1] == 'L')
                tmp[1] = 'K', tmp[0] = 'U';
        if (!region_code_valid(tmp))
                return -EINVAL;
        memcpy(out, tmp, n + 1);
        return 0;
}

void
region_add_uk(struct strv *out)
{
        for (size_t i = 0; i < ARRAY_SIZE(itl1); i++)
                strv_add_unique(out, itl1[i].code);
}

void
region_add_england(struct strv *out)
{
        for (size_t i = 0; i <= ENGLAND_LAST; i++)
                strv_add_unique(out, itl1[i].code);
}

/* Lower-case s into out, "&" as "and", punctuation as spaces, runs of
 * space squeezed, a leading "the " dropped.  False when it does not fit. */
static bool
normalise_name(const char *s, char *out, size_t len)
{
        size_t n = 0;
        bool space = true;              /* suppress leading space */

        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                const char *add = NULL;
                char one[2] = { 0, 0 };

                if (c == '&') {
                        add = " and ";
                } else if (isalnum(c)) {
                        one[0] = (char)tolower(c);
                        add = one;
                } else if (c >= 0x80) {
                        one[0] = (char)c;       /* keep UTF-8 as is */
                        add = one;
                } else {
                        add = " ";
                }
                for (; *add; add++) {
                        if (*add == ' ') {
                                if (space)
                                        continue;
                                space = true;
                        } else {
                                space = false;
                        }
                        if (n + 1 >= len)
                                return false;
                        out[n++] = *add;
                }
        }
        while (n > 0 && out[n - 1] == ' ')
                n--;
        out[n] = '\0';
        if (strncmp(out, "the ", 4) == 0)
                memmove(out, out + 4, n - 3);
        return true;
}

enum region_kind
region_parse(const char *s, struct strv *out)
{
        char code[REGION_CODE_MAX], name[96];
        size_t n;

        if (s == NULL)
                return REGION_UNKNOWN;
        while (isspace((unsigned char)*s))
                s++;
        /* A code, alone or before a name: "UKG31", "UKG31 - Birmingham". */
        n = strcspn(s, " \t-:,;/");
        if (n > 0 && n < sizeof(code)) {
                char tmp[REGION_CODE_MAX];

                memcpy(tmp, s, n);
                tmp[n] = '\0';
                if (region_code_normalise(tmp, code) == 0) {
                        strv_add_unique(out, code);
                        return REGION_CODES;
                }
        }
        if (!normalise_name(s, name, sizeof(name)) || name[0] == '\0')
                return REGION_UNKNOWN;
        for (size_t i = 0; i < ARRAY_SIZE(place_names); i++) {
                const struct place_name *p = &place_names[i];

                if (strcmp(name, p->name) != 0)
                        continue;
                switch (p->place) {
                case P_CODE:
                        strv_add_unique(out, p->code);
                        return REGION_CODES;
                case P_ENGLAND:
                        region_add_england(out);
                        return REGION_CODES;
                case P_GREAT_BRITAIN:
                        for (size_t j = 0; j < ARRAY_SIZE(itl1) - 1; j++)
                                strv_add_unique(out, itl1[j].code);
                        return REGION_CODES;
                case P_UK:
                        region_add_uk(out);
                        return REGION_CODES;
                case P_ANYWHERE:
                        return REGION_ANYWHERE;
                case P_OUTSIDE:
                        return REGION_OUTSIDE_UK;
                }
        }
        return REGION_UNKNOWN;
}

const char *
region_name(const char *code)
{
        if (!region_code_valid(code))
                return NULL;
        for (size_t i = 0; i < ARRAY_SIZE(itl1); i++)
                if (strncmp(code, itl1[i].code, 3) == 0)
                        return itl1[i].name;
        return NULL;
}

bool
region_overlaps(const char *a, const char *b)
{
        size_t na, nb;

        if (a == NULL || b == NULL)
                return false;
        na = strlen(a);
        nb = strlen(b);
        if (na == 0 || nb == 0)
                return false;
        return strncmp(a, b, na < nb ? na : nb) == 0;
}

bool
region_list_matches(const struct strv *regions, bool anywhere, const char *filter)
{
        if (anywhere)
                return true;
        for (size_t i = 0; i < regions->n; i++)
                if (region_overlaps(regions->v[i], filter))
                        return true;
        return false;
}

void
region_list_simplify(struct strv *regions)
{
        size_t keep = 0;

        for (size_t i = 0; i < regions->n; i++) {
                const char *c = regions->v[i];
                bool redundant = false;

                for (size_t j = 0; j < regions->n && !redundant; j++) {
                        const char *d = regions->v[j];

                        if (i == j || d == NULL)
                                continue;
                        /* d is a strict prefix of c, or the same code earlier */
                        if ((strlen(d) < strlen(c) && strncmp(c, d, strlen(d)) == 0) ||
                            (j < i && strcmp(c, d) == 0))
                                redundant = true;
                }
                if (redundant) {
                        free(regions->v[i]);
                        regions->v[i] = NULL;
                }
        }
        for (size_t i = 0; i < regions->n; i++)
                if (regions->v[i] != NULL)
                        regions->v[keep++] = regions->v[i];
        regions->n = keep;
}

/* ---- the one vocabulary people type ---- */

/* A postcode area written alone ("B", "ws") or after "PC:", upper-cased
 * into area.  1 when s has that shape, 0 when not. */
static int
area_shape(const char *s, char area[3])
{
        size_t n = strlen(s);

        if (n < 1 || n > 2 || !isalpha((unsigned char)s[0]) ||
            (n == 2 && !isalpha((unsigned char)s[1])))
                return 0;
        area[0] = (char)toupper((unsigned char)s[0]);
        area[1] = n == 2 ? (char)toupper((unsigned char)s[1]) : '\0';
        area[2] = '\0';
        return 1;
}

int
region_normalise(const char *in, struct strv *out, const char **why)
{
        static const char unknown[] = "not a region bidbroker knows; use " REGION_ACCEPTED;
        char code[REGION_CODE_MAX], area[3], name[96], *trimmed;
        struct strv codes;
        const char *s;
        int r = -EINVAL;

        trimmed = xstrdup(in ? in : "");
        s = str_trim(trimmed);
        strv_init(&codes);
        *why = unknown;
        if (*s == '\0') {
                *why = "empty; use " REGION_ACCEPTED;
                goto out;
        }
        if (strncasecmp(s, "PC:", 3) == 0) {
                if (!area_shape(s + 3, area)) {
                        *why = "not a postcode area: PC: must be followed by one such as B or WS";
                        goto out;
                }
        } else if (!area_shape(s, area)) {
                area[0] = '\0';
        }
        if (area[0] != '\0' && postcode_area_region(area) != NULL) {
                char pc[8];

                snprintf(pc, sizeof(pc), "PC:%s", area);
                strv_add_unique(out, pc);
                r = 0;
                goto out;
        }
        if (strncasecmp(s, "PC:", 3) == 0) {
                *why = "not a UK postcode area (e.g. B, WS)";
                goto out;
        }
        if (region_code_normalise(s, code) == 0) {
                strv_add_unique(out, code);
                r = 0;
                goto out;
        }
        /* the whole UK is one entry, "UK", however it is written */
        if (normalise_name(s, name, sizeof(name))) {
                for (size_t i = 0; i < ARRAY_SIZE(place_names); i++) {
                        if (strcmp(name, place_names[i].name) == 0 &&
                            (place_names[i].place == P_UK ||
                             place_names[i].place == P_ANYWHERE)) {
                                strv_add_unique(out, "UK");
                                r = 0;
                                goto out;
                        }
                }
        }
        switch (region_parse(s, &codes)) {
        case REGION_CODES:
                for (size_t i = 0; i < codes.n; i++)
                        strv_add_unique(out, codes.v[i]);
                r = 0;
                break;
        case REGION_ANYWHERE:
                strv_add_unique(out, "UK");
                r = 0;
                break;
        case REGION_OUTSIDE_UK:
                *why = "outside the UK; bidbroker serves UK regions only";
                break;
        case REGION_UNKNOWN:
        default:
                if (area[0] != '\0')
                        *why = "not a UK postcode area, ITL code or region name; use "
                               REGION_ACCEPTED;
                break;
        }
out:
        strv_done(&codes);
        free(trimmed);
        return r;
}

bool
region_entry_holds(const char *entry, const struct strv *regions,
                   const struct strv *postcodes, bool anywhere)
{
        const char *home;

        if (anywhere)
                return true;
        if (strncmp(entry, "PC:", 3) != 0) {
                for (size_t i = 0; regions && i < regions->n; i++)
                        if (region_overlaps(regions->v[i], entry))
                                return true;
                return false;
        }
        for (size_t i = 0; postcodes && i < postcodes->n; i++) {
                char area[3];

                if (postcode_area(postcodes->v[i], area) == 0 && strcmp(area, entry + 3) == 0)
                        return true;
        }
        home = postcode_area_region(entry + 3);
        for (size_t i = 0; home && regions && i < regions->n; i++) {
                size_t n = strlen(regions->v[i]);

                if (n <= strlen(home) && strncmp(home, regions->v[i], n) == 0)
                        return true;
        }
        return false;
}

/* ---- postcodes ---- */

struct postcode_area {
        const char area[3];
        const char *itl1;               /* NULL: not in a UK ITL region */
};

/*
 * Every postcode area of the UK (121), plus the Crown dependencies and the
 * non-geographic areas, which map to no region.  An area that straddles a
 * regional border maps to the region holding most of its districts; the
 * comment names the minority.  Sorted by area for bsearch.
 */
static const struct postcode_area postcode_areas[] = {
        { "AB", "UKM" },                /* Aberdeen */
        { "AL", "UKH" },                /* St Albans */
        { "B",  "UKG" },                /* Birmingham */
        { "BA", "UKK" },                /* Bath */
        { "BB", "UKD" },                /* Blackburn */
        { "BD", "UKE" },                /* Bradford; Settle area is UKE too */
        { "BF", NULL },                 /* British Forces, non-geographic */
        { "BH", "UKK" },                /* Bournemouth; a sliver of Hampshire (UKJ) */
        { "BL", "UKD" },                /* Bolton */
        { "BN", "UKJ" },                /* Brighton */
        { "BR", "UKI" },                /* Bromley; BR8 Swanley is Kent (UKJ) */
        { "BS", "UKK" },                /* Bristol */
        { "BT", "UKN" },                /* Belfast: all of Northern Ireland */
        { "BX", NULL },                 /* non-geographic */
        { "CA", "UKD" },                /* Carlisle; a few Scottish Borders/D&G places (UKM) */
        { "CB", "UKH" },                /* Cambridge */
        { "CF", "UKL" },                /* Cardiff */
        { "CH", "UKD" },                /* Chester, Wirral; CH5-CH8 Flintshire are Wales (UKL) */
        { "CM", "UKH" },                /* Chelmsford */
        { "CO", "UKH" },                /* Colchester */
        { "CR", "UKI" },                /* Croydon; CR3/CR6 Caterham, Warlingham are Surrey (UKJ) */
        { "CT", "UKJ" },                /* Canterbury */
        { "CV", "UKG" },                /* Coventry */
        { "CW", "UKD" },                /* Crewe */
        { "DA", "UKJ" },                /* Dartford; DA5-DA8, DA14-DA18 Bexley are London (UKI) */
        { "DD", "UKM" },                /* Dundee */
        { "DE", "UKF" },                /* Derby; Burton upon Trent DE13-DE15 is Staffordshire (UKG) */
        { "DG", "UKM" },                /* Dumfries */
        { "DH", "UKC" },                /* Durham */
        { "DL", "UKC" },                /* Darlington; DL6-DL11 North Yorkshire (UKE) */
        { "DN", "UKE" },                /* Doncaster, Grimsby; Gainsborough, Retford (UKF) */
        { "DT", "UKK" },                /* Dorchester */
        { "DY", "UKG" },                /* Dudley */
        { "E",  "UKI" },                /* London East */
        { "EC", "UKI" },                /* London East Central */
        { "EH", "UKM" },                /* Edinburgh */
        { "EN", "UKI" },                /* Enfield, Barnet; EN6-EN11 Hertfordshire (UKH) */
        { "EX", "UKK" },                /* Exeter */
        { "FK", "UKM" },                /* Falkirk */
        { "FY", "UKD" },                /* Blackpool */
        { "G",  "UKM" },                /* Glasgow */
        { "GL", "UKK" },                /* Gloucester */
        { "GU", "UKJ" },                /* Guildford */
        { "GY", NULL },                 /* Guernsey, a Crown dependency */
        { "HA", "UKI" },                /* Harrow */
        { "HD", "UKE" },                /* Huddersfield */
        { "HG", "UKE" },                /* Harrogate */
        { "HP", "UKJ" },                /* Buckinghamshire; HP1-HP4, HP23 Hertfordshire (UKH) */
        { "HR", "UKG" },                /* Hereford */
        { "HS", "UKM" },                /* Outer Hebrides */
        { "HU", "UKE" },                /* Hull */
        { "HX", "UKE" },                /* Halifax */
        { "IG", "UKI" },                /* Ilford; IG7-IG10 Essex (UKH) */
        { "IM", NULL },                 /* Isle of Man, a Crown dependency */
        { "IP", "UKH" },                /* Ipswich */
        { "IV", "UKM" },                /* Inverness */
        { "JE", NULL },                 /* Jersey, a Crown dependency */
        { "KA", "UKM" },                /* Kilmarnock */
        { "KT", "UKJ" },                /* Surrey; KT1-KT6, KT9 Kingston are London (UKI) */
        { "KW", "UKM" },                /* Kirkwall */
        { "KY", "UKM" },                /* Kirkcaldy */
        { "L",  "UKD" },                /* Liverpool */
        { "LA", "UKD" },                /* Lancaster; LA2/LA6 touch North Yorkshire (UKE) */
        { "LD", "UKL" },                /* Llandrindod Wells */
        { "LE", "UKF" },                /* Leicester */
        { "LL", "UKL" },                /* Llandudno; a little of Cheshire/Shropshire */
        { "LN", "UKF" },                /* Lincoln */
        { "LS", "UKE" },                /* Leeds */
        { "LU", "UKH" },                /* Luton; LU7 Leighton Buzzard is UKH, LU6 partly Bucks */
        { "M",  "UKD" },                /* Manchester */
        { "ME", "UKJ" },                /* Medway */
        { "MK", "UKJ" },                /* Milton Keynes; MK40-MK45 Bedford (UKH) */
        { "ML", "UKM" },                /* Motherwell */
        { "N",  "UKI" },                /* London North */
        { "NE", "UKC" },                /* Newcastle */
        { "NG", "UKF" },                /* Nottingham */
        { "NN", "UKF" },                /* Northampton */
        { "NP", "UKL" },                /* Newport */
        { "NR", "UKH" },                /* Norwich */
        { "NW", "UKI" },                /* London North West */
        { "OL", "UKD" },                /* Oldham; OL14 Todmorden is West Yorkshire (UKE) */
        { "OX", "UKJ" },                /* Oxford */
        { "PA", "UKM" },                /* Paisley */
        { "PE", "UKH" },                /* Peterborough; PE9-PE12, PE20-PE25 Lincolnshire (UKF) */
        { "PH", "UKM" },                /* Perth */
        { "PL", "UKK" },                /* Plymouth */
        { "PO", "UKJ" },                /* Portsmouth */
        { "PR", "UKD" },                /* Preston */
        { "RG", "UKJ" },                /* Reading */
        { "RH", "UKJ" },                /* Redhill */
        { "RM", "UKI" },                /* Romford; RM14-RM20 Thurrock is Essex (UKH) */
        { "S",  "UKE" },                /* Sheffield; S18, S40-S45 Derbyshire, S80-S81 Notts (UKF) */
        { "SA", "UKL" },                /* Swansea */
        { "SE", "UKI" },                /* London South East */
        { "SG", "UKH" },                /* Stevenage */
        { "SK", "UKD" },                /* Stockport; SK13, SK17, SK22-SK23 Derbyshire (UKF) */
        { "SL", "UKJ" },                /* Slough */
        { "SM", "UKI" },                /* Sutton; SM7 Banstead is Surrey (UKJ) */
        { "SN", "UKK" },                /* Swindon; SN7 Faringdon is Oxfordshire (UKJ) */
        { "SO", "UKJ" },                /* Southampton */
        { "SP", "UKK" },                /* Salisbury; SP6, SP10-SP11 Hampshire (UKJ) */
        { "SR", "UKC" },                /* Sunderland */
        { "SS", "UKH" },                /* Southend */
        { "ST", "UKG" },                /* Stoke-on-Trent */
        { "SW", "UKI" },                /* London South West */
        { "SY", "UKG" },                /* Shrewsbury; SY15-SY25 mid Wales (UKL) */
        { "TA", "UKK" },                /* Taunton */
        { "TD", "UKM" },                /* Galashiels; TD12, TD15 Berwick-upon-Tweed (UKC) */
        { "TF", "UKG" },                /* Telford */
        { "TN", "UKJ" },                /* Tonbridge */
        { "TQ", "UKK" },                /* Torquay */
        { "TR", "UKK" },                /* Truro */
        { "TS", "UKC" },                /* Teesside; TS9 Stokesley is North Yorkshire (UKE) */
        { "TW", "UKI" },                /* Twickenham; TW15-TW20 Surrey (UKJ) */
        { "UB", "UKI" },                /* Southall */
        { "W",  "UKI" },                /* London West */
        { "WA", "UKD" },                /* Warrington */
        { "WC", "UKI" },                /* London West Central */
        { "WD", "UKH" },                /* Watford; WD6 Borehamwood is UKH, WD23 partly London */
        { "WF", "UKE" },                /* Wakefield */
        { "WN", "UKD" },                /* Wigan */
        { "WR", "UKG" },                /* Worcester */
        { "WS", "UKG" },                /* Walsall */
        { "WV", "UKG" },                /* Wolverhampton */
        { "YO", "UKE" },                /* York */
        { "ZE", "UKM" },                /* Shetland */
};

static int
area_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct postcode_area *)elem)->area);
}

const char *
postcode_area_region(const char *area)
{
        const struct postcode_area *a;
        char up[3];
        size_t n;

        if (area == NULL || (n = strlen(area)) == 0 || n > 2)
                return NULL;
        for (size_t i = 0; i <= n; i++)
                up[i] = (char)toupper((unsigned char)area[i]);
        a = bsearch(up, postcode_areas, ARRAY_SIZE(postcode_areas),
                    sizeof(postcode_areas[0]), area_cmp);
        return a ? a->itl1 : NULL;
}

/* Parse the shape; *outward_only tells whether the inward code is missing. */
static int
postcode_shape(const char *pc, char area[3], bool *outward_only)
{
        char s[16];
        size_t n = 0, i = 0, letters = 0;

        if (pc == NULL)
                return -EINVAL;
        for (; *pc; pc++) {
                if (isspace((unsigned char)*pc))
                        continue;
                if (n >= sizeof(s) - 1 || !isalnum((unsigned char)*pc))
                        return -EINVAL;
                s[n++] = (char)toupper((unsigned char)*pc);
        }
        s[n] = '\0';
        while (i < n && isalpha((unsigned char)s[i]))
                i++;
        letters = i;
        if (letters < 1 || letters > 2)
                return -EINVAL;
        /* the rest: outward digits, then optionally the inward code 9AA */
        if (n >= letters + 4 && isdigit((unsigned char)s[n - 3]) &&
            isalpha((unsigned char)s[n - 2]) && isalpha((unsigned char)s[n - 1])) {
                n -= 3;
                *outward_only = false;
        } else {
                *outward_only = true;
        }
        /* outward remainder after the letters: 9, 99 or 9A */
        if (n - letters < 1 || n - letters > 2 || !isdigit((unsigned char)s[letters]))
                return -EINVAL;
        if (n - letters == 2 && !isalnum((unsigned char)s[letters + 1]))
                return -EINVAL;
        memcpy(area, s, letters);
        area[letters] = '\0';
        return 0;
}

bool
postcode_valid(const char *pc)
{
        char area[3];
        bool outward_only;

        return postcode_shape(pc, area, &outward_only) == 0 && !outward_only;
}

int
postcode_area(const char *pc, char area[3])
{
        bool outward_only;

        return postcode_shape(pc, area, &outward_only);
}

const char *
postcode_region(const char *pc)
{
        char area[3];

        if (postcode_area(pc, area) < 0)
                return NULL;
        return postcode_area_region(area);
}

char *
postcode_normalise(const char *pc)
{
        struct buf b;
        bool space = false;

        if (pc == NULL)
                return NULL;
        buf_init(&b);
        for (; *pc; pc++) {
                unsigned char c = (unsigned char)*pc;

                if (isspace(c)) {
                        space = b.len > 0;
                        continue;
                }
                if (space)
                        buf_addc(&b, ' ');
                space = false;
                buf_addc(&b, (char)toupper(c));
                if (b.len > 32)
                        break;
        }
        if (b.len == 0) {
                buf_done(&b);
                return NULL;
        }
        return buf_steal(&b);
}
