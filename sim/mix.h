/* A 64-bit mixing function (the splitmix64 finaliser): spreads ids over instances, enclosures and
 * spines deterministically, with no clock or address in it. */
#ifndef KVTWIN_MIX_H
#define KVTWIN_MIX_H

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

#endif
