/* The project's one 64-bit mixer (the splitmix64 finaliser): spreads ids over instances, enclosures, spines
 * and hash slots, derives block ids and salts, deterministically, with no clock or address in it. */
#ifndef KVTWIN_BASE_MIX_H
#define KVTWIN_BASE_MIX_H

#include <stdint.h>

static inline uint64_t kvt_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* One splitmix64 step: the finaliser after the golden-ratio increment, so that 0 does not map to 0. */
static inline uint64_t kvt_splitmix64(uint64_t x)
{
    return kvt_mix64(x + 0x9e3779b97f4a7c15ull);
}

#endif
