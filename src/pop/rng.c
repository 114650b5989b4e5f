/* Counter-based random numbers: Random123's Philox4x32-10 (Salmon JK, Moraes MA,
 * Dror RO, Shaw DE. Parallel random numbers: as easy as 1, 2, 3. SC11, 2011,
 * doi:10.1145/2063384.2063405), from Debian's librandom123-dev. The key is the seed;
 * the counter is (patient low 32 bits, patient high 32 bits, replicate, purpose in
 * the top 8 bits and the draw index in the low 24). */
#include "ketsim/trial.h"

#include <Random123/philox.h>
#include <math.h>

static double to_unit(uint32_t hi, uint32_t lo)
{
    uint64_t x = (((uint64_t)hi << 32) | lo) >> 11; /* 53 bits */
    return ((double)x + 0.5) * 0x1.0p-53;           /* (0, 1), never 0 or 1 */
}

void ks_rng_uniform2(uint64_t seed, uint32_t replicate, uint64_t patient, int purpose,
                     uint32_t index, double u[2])
{
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_ctr_t c = {{(uint32_t)patient, (uint32_t)(patient >> 32), replicate,
                           ((uint32_t)purpose << 24) | (index & 0xFFFFFFu)}};
    philox4x32_ctr_t r = philox4x32(c, k);
    u[0] = to_unit(r.v[0], r.v[1]);
    u[1] = to_unit(r.v[2], r.v[3]);
}

void ks_rng_normal2(uint64_t seed, uint32_t replicate, uint64_t patient, int purpose,
                    uint32_t index, double z[2])
{
    double u[2];
    ks_rng_uniform2(seed, replicate, patient, purpose, index, u);
    double r = sqrt(-2.0 * log(u[0]));
    double a = 6.283185307179586477 * u[1]; /* 2 pi */
    z[0] = r * cos(a);
    z[1] = r * sin(a);
}
