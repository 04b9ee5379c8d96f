#include "num/dist.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "num/special.h"

/* Samplers that gm_dist_sample must call rather than inline (see there). */
#define OUT_OF_LINE __attribute__((noinline))

/* ------------------------------------------------------------------------ */
/* Ziggurat tables                                                           */

/*
 * 256-layer ziggurats for the standard normal density exp(-x^2/2) and the
 * exponential density exp(-x) on x >= 0, generated for gemel by
 * scripts/gen_ziggurat.c (in 80-bit arithmetic, then rounded; the test
 * num_zigtables regenerates them and compares) from the definition: layer 0
 * is the strip [0, x0) x [0, f(r)] whose part beyond x1 = r stands for the tail, layers
 * i >= 1 are [0, x_i) x [f(x_i), f(x_(i+1))] with x_256 = 0, and every layer
 * has the same area v (r = 3.6541528853610088 and 7.6971174701310497;
 * areas equal to 2.5e-16 relative). Per layer i:
 *   k[i] = floor(2^53 x_(i+1) / x_i)   (j < k[i]: inside the inner rectangle)
 *   w[i] = x_i / 2^53                  (x = j w[i] for a 53-bit integer j)
 *   f[i] = f(x_i), f[0] = 0, f[256] = f(0) = 1.
 * Hard-coded rather than computed at start-up so that every machine samples
 * bit-identical values, whatever its libm.
 */
#define ZIG_NORM_R 0x1.d3bb48209ad33p+1 /* 3.6541528853610088 */
static const uint64_t zig_norm_k[256] = {
0x001de67b004bdecaULL, 0x001e34b496663893ULL, 0x001ecd8befe06058ULL, 0x001f13f491483bf7ULL,
0x001f3d2e3c028b2eULL, 0x001f5880b05450e7ULL, 0x001f6c0d8800a867ULL, 0x001f7acb03817073ULL,
0x001f86565e3c45d9ULL, 0x001f8fa4dd9a5a45ULL, 0x001f9751b0bc2363ULL, 0x001f9dc408ec3f3dULL,
0x001fa3434f698f58ULL, 0x001fa80293c5e023ULL, 0x001fac275b7aca16ULL, 0x001fafcdde919e08ULL,
0x001fb30bc36574eaULL, 0x001fb5f1f05c0505ULL, 0x001fb88dca537e25ULL, 0x001fbaea138c77faULL,
0x001fbd0f8afdfd54ULL, 0x001fbf056056e354ULL, 0x001fc0d189dccf5eULL, 0x001fc27904f10628ULL,
0x001fc4000732aaaeULL, 0x001fc56a245fc9faULL, 0x001fc6ba6bdd6337ULL, 0x001fc7f37ffa3c6eULL,
0x001fc917a86de8afULL, 0x001fca28e12ee500ULL, 0x001fcb28e671ee84ULL, 0x001fcc193e7060fbULL,
0x001fccfb416d57b1ULL, 0x001fcdd020554403ULL, 0x001fce98ea3ed54aULL, 0x001fcf569104677eULL,
0x001fd009ed21527fULL, 0x001fd0b3c0f563d4ULL, 0x001fd154bb89d1ccULL, 0x001fd1ed7aed8bacULL,
0x001fd27e8e3a8e51ULL, 0x001fd30877528f46ULL, 0x001fd38bac5eac74ULL, 0x001fd408991bb3edULL,
0x001fd47f9ffae7caULL, 0x001fd4f11b1dc64dULL, 0x001fd55d5d3244adULL, 0x001fd5c4b23405d1ULL,
0x001fd62760165a96ULL, 0x001fd685a75a3f3cULL, 0x001fd6dfc3930a85ULL, 0x001fd735ebdc19b8ULL,
0x001fd78853416d22ULL, 0x001fd7d7291cdfa1ULL, 0x001fd82299696669ULL, 0x001fd86acd0d92c3ULL,
0x001fd8afea1e63fbULL, 0x001fd8f2141b52f0ULL, 0x001fd9316c246181ULL, 0x001fd96e112add68ULL,
0x001fd9a8201d6f70ULL, 0x001fd9dfb40ffc66ULL, 0x001fda14e65fcc87ULL, 0x001fda47ced45faeULL,
0x001fda7883bd4844ULL, 0x001fdaa71a0d5bfeULL, 0x001fdad3a5738055ULL, 0x001fdafe3871506cULL,
0x001fdb26e46fd319ULL, 0x001fdb4db9d27192ULL, 0x001fdb72c80859e7ULL, 0x001fdb961d9c73a6ULL,
0x001fdbb7c84408faULL, 0x001fdbd7d4ec42d8ULL, 0x001fdbf64fc69397ULL, 0x001fdc134454288eULL,
0x001fdc2ebd7078b3ULL, 0x001fdc48c55b0409ULL, 0x001fdc6165c055aeULL, 0x001fdc78a7c2589eULL,
0x001fdc8e94000d9dULL, 0x001fdca3329caf6bULL, 0x001fdcb68b465111ULL, 0x001fdcc8a53c00feULL,
0x001fdcd987537abcULL, 0x001fdce937fe6ffeULL, 0x001fdcf7bd4f710fULL, 0x001fdd051cfe7bf9ULL,
0x001fdd115c6d38f3ULL, 0x001fdd1c80aaea2aULL, 0x001fdd268e781472ULL, 0x001fdd2f8a49e5c7ULL,
0x001fdd37784d5e5dULL, 0x001fdd3e5c6a4048ULL, 0x001fdd443a45c9b3ULL, 0x001fdd4915453d05ULL,
0x001fdd4cf0903a48ULL, 0x001fdd4fcf12eca7ULL, 0x001fdd51b3800ebbULL, 0x001fdd52a052c81eULL,
0x001fdd5297d06677ULL, 0x001fdd519c09f414ULL, 0x001fdd4faeddadf3ULL, 0x001fdd4cd1f85ae2ULL,
0x001fdd4906d68556ULL, 0x001fdd444ec5995cULL, 0x001fdd3eaae4e7e7ULL, 0x001fdd381c2690b6ULL,
0x001fdd30a35053d6ULL, 0x001fdd2840fc4bb4ULL, 0x001fdd1ef59990a3ULL, 0x001fdd14c16cc685ULL,
0x001fdd09a4909565ULL, 0x001fdcfd9ef60d73ULL, 0x001fdcf0b064f702ULL, 0x001fdce2d87c0ef4ULL,
0x001fdcd416b12fe1ULL, 0x001fdcc46a51685bULL, 0x001fdcb3d280fe82ULL, 0x001fdca24e3b610cULL,
0x001fdc8fdc5305e7ULL, 0x001fdc7c7b713679ULL, 0x001fdc682a15c977ULL, 0x001fdc52e696ca48ULL,
0x001fdc3caf200dbfULL, 0x001fdc2581b2b40cULL, 0x001fdc0d5c249789ULL, 0x001fdbf43c1fa827ULL,
0x001fdbda1f2132ffULL, 0x001fdbbf027915a4ULL, 0x001fdba2e348dca4ULL, 0x001fdb85be82cca4ULL,
0x001fdb6790e8d566ULL, 0x001fdb48570b6e08ULL, 0x001fdb280d485991ULL, 0x001fdb06afc95303ULL,
0x001fdae43a829fd0ULL, 0x001fdac0a93187b9ULL, 0x001fda9bf75ab0dbULL, 0x001fda7620485e98ULL,
0x001fda4f1f089206ULL, 0x001fda26ee6b0a50ULL, 0x001fd9fd88ff236eULL, 0x001fd9d2e9119167ULL,
0x001fd9a708a9f62aULL, 0x001fd979e1884ffcULL, 0x001fd94b6d223e21ULL, 0x001fd91ba4a01968ULL,
0x001fd8ea80d9dde8ULL, 0x001fd8b7fa53e32cULL, 0x001fd884093b5fa6ULL, 0x001fd84ea562b429ULL,
0x001fd817c63d7bd0ULL, 0x001fd7df62dc5c7bULL, 0x001fd7a571e8939fULL, 0x001fd769e99f3af8ULL,
0x001fd72cbfcc4026ULL, 0x001fd6ede9c509f3ULL, 0x001fd6ad5c62c568ULL, 0x001fd66b0bfc5495ULL,
0x001fd626ec5fd824ULL, 0x001fd5e0f0cbcc78ULL, 0x001fd5990be7b23fULL, 0x001fd54f2fbc39deULL,
0x001fd5034daae833ULL, 0x001fd4b556652a59ULL, 0x001fd46539e2cd48ULL, 0x001fd412e757ccf7ULL,
0x001fd3be4d296daaULL, 0x001fd36758e290cbULL, 0x001fd30df7273543ULL, 0x001fd2b213a711d5ULL,
0x001fd253990f3639ULL, 0x001fd1f270fa9decULL, 0x001fd18e83e19d78ULL, 0x001fd127b90810c8ULL,
0x001fd0bdf66a2e76ULL, 0x001fd05120a7e118ULL, 0x001fcfe11aee8485ULL, 0x001fcf6dc6e0e143ULL,
0x001fcef7047d3c72ULL, 0x001fce7cb2014e02ULL, 0x001fcdfeabcbe9e4ULL, 0x001fcd7ccc3c2355ULL,
0x001fccf6eb8daaf0ULL, 0x001fcc6cdfb220efULL, 0x001fcbde7c270d12ULL, 0x001fcb4b91c82424ULL,
0x001fcab3ee9d78eeULL, 0x001fca175da52a49ULL, 0x001fc975a69812b7ULL, 0x001fc8ce8da8ee69ULL,
0x001fc821d33d5afdULL, 0x001fc76f33a00055ULL, 0x001fc6b666ab1a95ULL, 0x001fc5f71f6a830cULL,
0x001fc5310bb43723ULL, 0x001fc463d3b63952ULL, 0x001fc38f19787f31ULL, 0x001fc2b278517097ULL,
0x001fc1cd844b44b0ULL, 0x001fc0dfc97849e3ULL, 0x001fbfe8cb33da7dULL, 0x001fbee8034d685cULL,
0x001fbddce11aa29cULL, 0x001fbcc6c86d3ec7ULL, 0x001fbba510685f1fULL, 0x001fba770230e53aULL,
0x001fb93bd77334faULL, 0x001fb7f2b8b7f9a1ULL, 0x001fb69abb805c3fULL, 0x001fb532e020bd17ULL,
0x001fb3ba0f4f5ba5ULL, 0x001fb22f175a5917ULL, 0x001fb090a8f611d0ULL, 0x001faedd5391d064ULL,
0x001fad13811d33d8ULL, 0x001fab3171241ea5ULL, 0x001fa935332168f3ULL, 0x001fa71c9fe1923cULL,
0x001fa4e551c5e8a0ULL, 0x001fa28c9bad89caULL, 0x001fa00f7e3b9261ULL, 0x001f9d6a9b1fd932ULL,
0x001f9a9a25f07388ULL, 0x001f9799d2044634ULL, 0x001f9464bc97bd0aULL, 0x001f90f552512d49ULL,
0x001f8d452ef5dc60ULL, 0x001f894cf5c4b7a2ULL, 0x001f8504206f4490ULL, 0x001f8060c1fed8aeULL,
0x001f7b573a0817dbULL, 0x001f75d9d343ca19ULL, 0x001f6fd846cdfcefULL, 0x001f693f1aa6e98bULL,
0x001f61f6ce31721cULL, 0x001f59e2c1a6a9b7ULL, 0x001f50dfbcb697f1ULL, 0x001f46c1eb03f4e5ULL,
0x001f3b520fb7ea11ULL, 0x001f2e498e9ba1b4ULL, 0x001f1f4caf064bbbULL, 0x001f0de218c6afa5ULL,
0x001ef965d8508936ULL, 0x001ee0f4eaa72d49ULL, 0x001ec34bc837472cULL, 0x001e9e8d2ac24ab6ULL,
0x001e6fdac3ff962eULL, 0x001e328e15f48957ULL, 0x001dde9702fd9571ULL, 0x001d64abd3a7eefcULL,
0x001ca3ecfd83ddd8ULL, 0x001b46a9f57b028cULL, 0x0018117d31f78d6cULL, 0x0000000000000000ULL,
};
static const double zig_norm_w[256] = {
0x1.f493b7815d982p-52, 0x1.d3bb48209ad33p-52, 0x1.b981f3878fdbp-52, 0x1.a8fdc78947759p-52,
0x1.9cbee014057aap-52, 0x1.92ee0946f4496p-52, 0x1.8ab0fbfaa7c14p-52, 0x1.839030529f233p-52,
0x1.7d42df4d6ce8bp-52, 0x1.7799556090672p-52, 0x1.72728f05f7a33p-52, 0x1.6db6b8d09e231p-52,
0x1.69540be9fe5c2p-52, 0x1.653ce7b006aeap-52, 0x1.61669cf861e4bp-52, 0x1.5dc8a243ad0fep-52,
0x1.5a5c08b718dd9p-52, 0x1.571b1a94ae41cp-52, 0x1.54011523a7e43p-52, 0x1.5109f53e9ac42p-52,
0x1.4e3250dcd8903p-52, 0x1.4b7739d6b5a28p-52, 0x1.48d62759c43bdp-52, 0x1.464ce44a73a16p-52,
0x1.43d9815545e94p-52, 0x1.417a49cb9e5dbp-52, 0x1.3f2dbaa60f475p-52, 0x1.3cf27b31704a6p-52,
0x1.3ac7570ae88fap-52, 0x1.38ab39256410ap-52, 0x1.369d27a33a84p-52, 0x1.349c405ae12a3p-52,
0x1.32a7b5e68a4a3p-52, 0x1.30becd256aeeep-52, 0x1.2ee0db1a978f5p-52, 0x1.2d0d43196db97p-52,
0x1.2b437532a0a53p-52, 0x1.2982ecd770e78p-52, 0x1.27cb2faa8592ep-52, 0x1.261bcc77658ep-52,
0x1.24745a4ac9c24p-52, 0x1.22d477a6fd3efp-52, 0x1.213bc9d04cc82p-52, 0x1.1fa9fc2e2d901p-52,
0x1.1e1ebfbe4ae39p-52, 0x1.1c99ca971a695p-52, 0x1.1b1ad777f2f8fp-52, 0x1.19a1a564eebadp-52,
0x1.182df74d21262p-52, 0x1.16bf93b9deef5p-52, 0x1.1556448602e3dp-52, 0x1.13f1d69c4096fp-52,
0x1.129219bbb5d37p-52, 0x1.1136e04207043p-52, 0x1.0fdffefa69fb8p-52, 0x1.0e8d4cf116594p-52,
0x1.0d3ea34aa3d32p-52, 0x1.0bf3dd1eed449p-52, 0x1.0aacd7571c0c5p-52, 0x1.0969708e8a255p-52,
0x1.082988f632e18p-52, 0x1.06ed023a72669p-52, 0x1.05b3bf6adb37ep-52, 0x1.047da4e3ef5c7p-52,
0x1.034a983a902abp-52, 0x1.021a8028fc947p-52, 0x1.00ed447d3a075p-52, 0x1.ff859c118f60bp-53,
0x1.fd360d22fe785p-53, 0x1.faebb187122bfp-53, 0x1.f8a6604899782p-53, 0x1.f665f20c90168p-53,
0x1.f42a40fb74d6dp-53, 0x1.f1f328ac25321p-53, 0x1.efc086101eca9p-53, 0x1.ed9237610a73ap-53,
0x1.eb681c0f76f08p-53, 0x1.e94214b2abf09p-53, 0x1.e72002f97fe23p-53, 0x1.e501c99c1d186p-53,
0x1.e2e74c4ea46f3p-53, 0x1.e0d06fb49d219p-53, 0x1.debd195522e34p-53, 0x1.dcad2f8fc490cp-53,
0x1.daa0999206e6ep-53, 0x1.d8973f4d7fba4p-53, 0x1.d691096e7f123p-53, 0x1.d48de1533c647p-53,
0x1.d28db1037ef2p-53, 0x1.d0906328b8f6ep-53, 0x1.ce95e3068e037p-53, 0x1.cc9e1c73bd69p-53,
0x1.caa8fbd36a2abp-53, 0x1.c8b66e0eba617p-53, 0x1.c6c6608ec8705p-53, 0x1.c4d8c136e0d1dp-53,
0x1.c2ed7e5f07a2dp-53, 0x1.c10486cec16ap-53, 0x1.bf1dc9b81ae82p-53, 0x1.bd3936b2ec0a2p-53,
0x1.bb56bdb85256ep-53, 0x1.b9764f1e5f73dp-53, 0x1.b797db93f8928p-53, 0x1.b5bb541ce3d04p-53,
0x1.b3e0aa0e00c01p-53, 0x1.b207cf09a985cp-53, 0x1.b030b4fc3a11bp-53, 0x1.ae5b4e18bb338p-53,
0x1.ac878cd5af5cfp-53, 0x1.aab563e9ff10ap-53, 0x1.a8e4c64a0313fp-53, 0x1.a715a724aa9a7p-53,
0x1.a547f9e0bbb8bp-53, 0x1.a37bb21a2c85ep-53, 0x1.a1b0c39f93696p-53, 0x1.9fe7226fad24dp-53,
0x1.9e1ec2b6f7414p-53, 0x1.9c5798cd5d92ep-53, 0x1.9a919933f99c1p-53, 0x1.98ccb892e2a33p-53,
0x1.9708ebb70d5efp-53, 0x1.954627903a28bp-53, 0x1.9384612ef0afep-53, 0x1.91c38dc288349p-53,
0x1.9003a2973b591p-53, 0x1.8e44951446a28p-53, 0x1.8c865aba10c9dp-53, 0x1.8ac8e9205c044p-53,
0x1.890c35f47f72ep-53, 0x1.875036f7a7ec7p-53, 0x1.8594e1fd1f5bep-53, 0x1.83da2ce899f16p-53,
0x1.82200dac88677p-53, 0x1.80667a486ea1fp-53, 0x1.7ead68c73dee7p-53, 0x1.7cf4cf3db22fcp-53,
0x1.7b3ca3c8b140ap-53, 0x1.7984dc8babd94p-53, 0x1.77cd6faeff44ap-53, 0x1.7616535e5732p-53,
0x1.745f7dc70eeddp-53, 0x1.72a8e516914c7p-53, 0x1.70f27f78b68ecp-53, 0x1.6f3c43161f856p-53,
0x1.6d8626128d354p-53, 0x1.6bd01e8b343bdp-53, 0x1.6a1a22950b2b3p-53, 0x1.6864283b13139p-53,
0x1.66ae257c99674p-53, 0x1.64f8104b7260dp-53, 0x1.6341de8a2b0a4p-53, 0x1.618b860a31fc5p-53,
0x1.5fd4fc89f5e39p-53, 0x1.5e1e37b2f8cd4p-53, 0x1.5c672d17d733fp-53, 0x1.5aafd23241b5ap-53,
0x1.58f81c60e8515p-53, 0x1.574000e555f79p-53, 0x1.558774e1bb2c9p-53, 0x1.53ce6d56a665p-53,
0x1.5214df20a8b5cp-53, 0x1.505abef5e5563p-53, 0x1.4ea001638a606p-53, 0x1.4ce49acb311ddp-53,
0x1.4b287f602415ep-53, 0x1.496ba32488f3p-53, 0x1.47adf9e66c338p-53, 0x1.45ef773cac75ep-53,
0x1.44300e83c30a6p-53, 0x1.426fb2da6745fp-53, 0x1.40ae571e09e76p-53, 0x1.3eebede725a85p-53,
0x1.3d28698561de3p-53, 0x1.3b63bbfb83d06p-53, 0x1.399dd6fb2b267p-53, 0x1.37d6abe05586cp-53,
0x1.360e2baca52d7p-53, 0x1.3444470265ea4p-53, 0x1.3278ee1f4b933p-53, 0x1.30ac10d6e48dap-53,
0x1.2edd9e8cba99p-53, 0x1.2d0d862e1b856p-53, 0x1.2b3bb62b82edbp-53, 0x1.29681c719d71dp-53,
0x1.2792a661dd381p-53, 0x1.25bb40ca96bfep-53, 0x1.23e1d7de9c322p-53, 0x1.2206572c4c6ecp-53,
0x1.2028a9940a0a3p-53, 0x1.1e48b93e0d431p-53, 0x1.1c666f8f82acfp-53, 0x1.1a81b51ee6d8bp-53,
0x1.189a71a78da37p-53, 0x1.16b08bfc4202p-53, 0x1.14c3e9f8e9143p-53, 0x1.12d4707310fc1p-53,
0x1.10e20329515f1p-53, 0x1.0eec84b16086fp-53, 0x1.0cf3d664bcc83p-53, 0x1.0af7d84bc6116p-53,
0x1.08f869071f40fp-53, 0x1.06f565b72a014p-53, 0x1.04eea9e16a5ffp-53, 0x1.02e40f5398f9dp-53,
0x1.00d56e04234eep-53, 0x1.fd8537dfa2eb1p-54, 0x1.f956d9e87d7b2p-54, 0x1.f51f654d8f68cp-54,
0x1.f0de784f0622ap-54, 0x1.ec93abdf982d2p-54, 0x1.e83e9337a6f04p-54, 0x1.e3debb5d2ee02p-54,
0x1.df73aa9f17656p-54, 0x1.dafce0023b8c8p-54, 0x1.d679d29e41f14p-54, 0x1.d1e9f0e80b74bp-54,
0x1.cd4c9fe72268fp-54, 0x1.c8a13a5323b66p-54, 0x1.c3e70f9594ef8p-54, 0x1.bf1d62abf8239p-54,
0x1.ba4368e529f4p-54, 0x1.b558487427a2fp-54, 0x1.b05b16d136ca2p-54, 0x1.ab4ad6e101636p-54,
0x1.a62676d77cd5fp-54, 0x1.a0eccdca4a731p-54, 0x1.9b9c98e38c54dp-54, 0x1.96347822c1efp-54,
0x1.90b2ea94ecf9ep-54, 0x1.8b1649e7b769fp-54, 0x1.855cc53430a7dp-54, 0x1.7f845ad46f549p-54,
0x1.798ad10b32a7ep-54, 0x1.736dad346f8adp-54, 0x1.6d2a292000577p-54, 0x1.66bd261a37c44p-54,
0x1.60231cfd97ef1p-54, 0x1.59580a707ce9cp-54, 0x1.52575621ad379p-54, 0x1.4b1bb363dfeadp-54,
0x1.439ef8dff9b5ap-54, 0x1.3bd9ec1a2b134p-54, 0x1.33c3fc05791fap-54, 0x1.2b52e3863d885p-54,
0x1.227a28f7a1afap-54, 0x1.192a69741367dp-54, 0x1.0f5053b025d4ap-54, 0x1.04d32278ebbb4p-54,
0x1.f32482d4cd5dp-55, 0x1.dac2f5a747281p-55, 0x1.c004d2f386207p-55, 0x1.a230c2e4cd0cbp-55,
0x1.801fce82fa71bp-55, 0x1.57cb938443b71p-55, 0x1.250af3c2c5bc6p-55, 0x1.b8d0be3fdf703p-56,
};
static const double zig_norm_f[257] = {
0x0p+0, 0x1.4a605b6b9f70dp-10, 0x1.55f9f43c1b07p-9, 0x1.08a1f03b0b205p-8,
0x1.69ea8d90cb864p-8, 0x1.ce160f8ec683cp-8, 0x1.1a59229952f95p-7, 0x1.4eb96421acfe7p-7,
0x1.841040d8da47ep-7, 0x1.ba48d274f8fb3p-7, 0x1.f152a4f72dd53p-7, 0x1.149033460301ap-6,
0x1.30d388dab5e1ap-6, 0x1.4d6eaf2fbb067p-6, 0x1.6a5daf40bbf87p-6, 0x1.879d1b600c10bp-6,
0x1.a529f4e22ebf4p-6, 0x1.c301983cd0912p-6, 0x1.e121adb828c69p-6, 0x1.ff881d718a5b5p-6,
0x1.0f1982e968009p-5, 0x1.1e9059f1f6ab6p-5, 0x1.2e27ce83df495p-5, 0x1.3ddf2ce98eec7p-5,
0x1.4db5d0e11275cp-5, 0x1.5dab23cf2add1p-5, 0x1.6dbe9b398d062p-5, 0x1.7defb77af271cp-5,
0x1.8e3e02a68b5a9p-5, 0x1.9ea90f9295561p-5, 0x1.af30790385f6fp-5, 0x1.bfd3e0f282a2cp-5,
0x1.d092efeadf162p-5, 0x1.e16d547b25185p-5, 0x1.f262c2b6c6e34p-5, 0x1.01b979e30e496p-4,
0x1.0a4ed2c159622p-4, 0x1.12f14d0f2179dp-4, 0x1.1ba0cbe97897ep-4, 0x1.245d344dd0d8fp-4,
0x1.2d266cf9b310dp-4, 0x1.35fc5e4d93e69p-4, 0x1.3edef23269a81p-4, 0x1.47ce1401b2212p-4,
0x1.50c9b06fa2babp-4, 0x1.59d1b5774669dp-4, 0x1.62e6124854d1p-4, 0x1.6c06b73694a46p-4,
0x1.753395aaa116dp-4, 0x1.7e6ca013eefccp-4, 0x1.87b1c9dbf2846p-4, 0x1.9103075a4a09fp-4,
0x1.9a604dc9d5b0bp-4, 0x1.a3c9933ea627bp-4, 0x1.ad3ece9caf627p-4, 0x1.b6bff78f2e228p-4,
0x1.c04d0680b100ap-4, 0x1.c9e5f493b7404p-4, 0x1.d38abb9bd91dcp-4, 0x1.dd3b56176e88bp-4,
0x1.e6f7bf29aa546p-4, 0x1.f0bff29520e16p-4, 0x1.fa93ecb6b222bp-4, 0x1.0239d54067d29p-3,
0x1.072f94bb8bf84p-3, 0x1.0c2b33d5209b9p-3, 0x1.112cb1da26eb8p-3, 0x1.16340e5a82d62p-3,
0x1.1b41492757d42p-3, 0x1.2054625183c34p-3, 0x1.256d5a2835eb6p-3, 0x1.2a8c3137a071bp-3,
0x1.2fb0e847c2a65p-3, 0x1.34db805b4ab89p-3, 0x1.3a0bfaae8d7eep-3, 0x1.3f4258b6931afp-3,
0x1.447e9c20375d6p-3, 0x1.49c0c6cf5ce3p-3, 0x1.4f08dade31fc6p-3, 0x1.5456da9c8683bp-3,
0x1.59aac88f31d74p-3, 0x1.5f04a76f884p-3, 0x1.64647a2adf1a4p-3, 0x1.69ca43e21f261p-3,
0x1.6f3607e964719p-3, 0x1.74a7c9c7ab5a8p-3, 0x1.7a1f8d368a323p-3, 0x1.7f9d5621f7174p-3,
0x1.852128a819a38p-3, 0x1.8aab09192815ap-3, 0x1.903afbf74fa68p-3, 0x1.95d105f6a7c27p-3,
0x1.9b6d2bfd2fe5ap-3, 0x1.a10f7322d7e3cp-3, 0x1.a6b7e0b19267cp-3, 0x1.ac667a2571805p-3,
0x1.b21b452ccd13ap-3, 0x1.b7d647a8731abp-3, 0x1.bd9787abe18a2p-3, 0x1.c35f0b7d89d46p-3,
0x1.c92cd9971df52p-3, 0x1.cf00f8a5e6fcap-3, 0x1.d4db6f8b2514cp-3, 0x1.dabc455c79006p-3,
0x1.e0a3816457181p-3, 0x1.e6912b2283cd9p-3, 0x1.ec854a4c99c3ep-3, 0x1.f27fe6ce998ccp-3,
0x1.f88108cb8322fp-3, 0x1.fe88b89df93bcp-3, 0x1.024b7f6c7747ap-2, 0x1.0555f2242e9d4p-2,
0x1.0863b8f904331p-2, 0x1.0b74d88b242d4p-2, 0x1.0e895598709bdp-2, 0x1.11a134fcf241dp-2,
0x1.14bc7bb34ee63p-2, 0x1.17db2ed5454e5p-2, 0x1.1afd539c2f04cp-2, 0x1.1e22ef6188113p-2,
0x1.214c079f7cc9cp-2, 0x1.2478a1f17de86p-2, 0x1.27a8c414db11bp-2, 0x1.2adc73e963fdap-2,
0x1.2e13b77210764p-2, 0x1.314e94d5af62dp-2, 0x1.348d125f9d19cp-2, 0x1.37cf368081376p-2,
0x1.3b1507cf143acp-2, 0x1.3e5e8d08ed2d8p-2, 0x1.41abcd1357a18p-2, 0x1.44fccefc324fcp-2,
0x1.485199fad6ad4p-2, 0x1.4baa357109ca2p-2, 0x1.4f06a8ebf6d91p-2, 0x1.5266fc2533beap-2,
0x1.55cb3703d00fdp-2, 0x1.5933619d6eebcp-2, 0x1.5c9f84376c241p-2, 0x1.600fa7480d2c6p-2,
0x1.6383d377be513p-2, 0x1.66fc11a25cbdfp-2, 0x1.6a786ad88de1ep-2, 0x1.6df8e86124ca6p-2,
0x1.717d93ba96148p-2, 0x1.7506769c7b1e8p-2, 0x1.78939af9252e6p-2, 0x1.7c250aff414acp-2,
0x1.7fbad11b8d90dp-2, 0x1.8354f7faa0dd5p-2, 0x1.86f38a8ac5ab2p-2, 0x1.8a9693fde9185p-2,
0x1.8e3e1fcb9f113p-2, 0x1.91ea39b33cb13p-2, 0x1.959aedbe09f8fp-2, 0x1.995048418c0c3p-2,
0x1.9d0a55e1e93dcp-2, 0x1.a0c923946843bp-2, 0x1.a48cbea20c04bp-2, 0x1.a85534aa4d87dp-2,
0x1.ac2293a5f5a9ap-2, 0x1.aff4e9ea1855p-2, 0x1.b3cc462b331c8p-2, 0x1.b7a8b78071319p-2,
0x1.bb8a4d6716d8fp-2, 0x1.bf7117c616a14p-2, 0x1.c35d26f1d2cb5p-2, 0x1.c74e8bb00d7c3p-2,
0x1.cb45573c0a843p-2, 0x1.cf419b4ae5b69p-2, 0x1.d3436a102107bp-2, 0x1.d74ad6426de2dp-2,
0x1.db57f320b56aap-2, 0x1.df6ad47763a03p-2, 0x1.e3838ea5f9b7ep-2, 0x1.e7a236a4ec3bfp-2,
0x1.ebc6e20bd1f4fp-2, 0x1.eff1a717e8f8ep-2, 0x1.f4229cb2f7aecp-2, 0x1.f859da7a900c4p-2,
0x1.fc9778c7bbd9bp-2, 0x1.006dc85b8cac2p-1, 0x1.02931e18b8228p-1, 0x1.04bbcafa63f2bp-1,
0x1.06e7dccf03c33p-1, 0x1.091761d995d7dp-1, 0x1.0b4a68d70d9abp-1, 0x1.0d8101041429cp-1,
0x1.0fbb3a232590fp-1, 0x1.11f9248311f34p-1, 0x1.143ad105ea998p-1, 0x1.16805128639d6p-1,
0x1.18c9b709b3c4dp-1, 0x1.1b171573fd10ep-1, 0x1.1d687fe549966p-1, 0x1.1fbe0a992961dp-1,
0x1.2217ca92ff7eep-1, 0x1.2475d5a90db8p-1, 0x1.26d84290504e9p-1, 0x1.293f28e93cd11p-1,
0x1.2baaa14d79545p-1, 0x1.2e1ac55ea3be9p-1, 0x1.308fafd6438ebp-1, 0x1.33097c9703a32p-1,
0x1.358848bf550e6p-1, 0x1.380c32bda00d2p-1, 0x1.3a955a662cd0bp-1, 0x1.3d23e10af31a1p-1,
0x1.3fb7e99585b7fp-1, 0x1.425198a355fep-1, 0x1.44f114a493676p-1, 0x1.479685fdf500fp-1,
0x1.4a42172dc5276p-1, 0x1.4cf3f4f494ebep-1, 0x1.4fac4e820b665p-1, 0x1.526b55a656cd3p-1,
0x1.55313f08d9e44p-1, 0x1.57fe4264c8d8cp-1, 0x1.5ad29acc85c85p-1, 0x1.5dae86f4aff66p-1,
0x1.6092498802661p-1, 0x1.637e298550c15p-1, 0x1.667272a92e32p-1, 0x1.696f75e513b26p-1,
0x1.6c7589e635a86p-1, 0x1.6f850baea7aebp-1, 0x1.729e5f43f6d0ep-1, 0x1.75c1f0770d852p-1,
0x1.78f033ca0b0d2p-1, 0x1.7c29a779c6855p-1, 0x1.7f6ed4b20e2c8p-1, 0x1.82c050f56cf6bp-1,
0x1.861ebfc37bca8p-1, 0x1.898ad48badefep-1, 0x1.8d0554fe60aa4p-1, 0x1.908f1bd31714bp-1,
0x1.94291c21b7a43p-1, 0x1.97d4657617abep-1, 0x1.9b9228d24067ep-1, 0x1.9f63bee651fd5p-1,
0x1.a34aafdf5af0cp-1, 0x1.a748bd550c9dep-1, 0x1.ab5fef17a2502p-1, 0x1.af92a3f6ce8ap-1,
0x1.b3e3a8234dd0ep-1, 0x1.b85653a8ff54fp-1, 0x1.bceeb4ee1dc7fp-1, 0x1.c1b1cd9eebae7p-1,
0x1.c6a5ecea9787cp-1, 0x1.cbd33a8a72de8p-1, 0x1.d144978a119d9p-1, 0x1.d70920657bcefp-1,
0x1.dd36fa704de92p-1, 0x1.e3f11e027f074p-1, 0x1.eb7545b6ca912p-1, 0x1.f446ac979f084p-1,
0x1p+0, };
#define ZIG_EXP_R 0x1.ec9d9297ebb83p+2 /* 7.6971174701310501 */
static const uint64_t zig_exp_k[256] = {
0x001c5214272497c7ULL, 0x001cdb4dd9e4e8c0ULL, 0x001dddf62bac0bb1ULL, 0x001e5961c78b267cULL,
0x001ea2a61e122db1ULL, 0x001ed38ca188151eULL, 0x001ef6aefa57cbe7ULL, 0x001f113e047b0414ULL,
0x001f26143450340aULL, 0x001f36e5a38a59a2ULL, 0x001f44c7665c6fdbULL, 0x001f50724ece1172ULL,
0x001f5a66904fe3c4ULL, 0x001f630000a8e267ULL, 0x001f6a8234b7352bULL, 0x001f71200f1a241cULL,
0x001f7700a3582accULL, 0x001f7c427839e926ULL, 0x001f80fdc336039bULL, 0x001f8545f904db8fULL,
0x001f892aec479607ULL, 0x001f8cb99e7385f8ULL, 0x001f8ffcda9ae41dULL, 0x001f92fda9cef1f3ULL,
0x001f95c3abd03f79ULL, 0x001f98555b782fb9ULL, 0x001f9ab84415abc5ULL, 0x001f9cf12b79f9bdULL,
0x001f9f04336bbe0bULL, 0x001fa0f4f47df315ULL, 0x001fa2c693c5c095ULL, 0x001fa47bd48bea00ULL,
0x001fa61726d1f214ULL, 0x001fa79ab3508d3dULL, 0x001fa908656f66a2ULL, 0x001faa61f399ff28ULL,
0x001faba8e640060bULL, 0x001facde9dbf2d73ULL, 0x001fae045767e105ULL, 0x001faf1b31c479a7ULL,
0x001fb0243042e1c2ULL, 0x001fb1203e5a9604ULL, 0x001fb21032442853ULL, 0x001fb2f4cf539c3fULL,
0x001fb3cec803e747ULL, 0x001fb49ebfbf69d2ULL, 0x001fb5654c6f37e1ULL, 0x001fb622f7d96943ULL,
0x001fb6d840d55594ULL, 0x001fb7859c5b895cULL, 0x001fb82b76765b54ULL, 0x001fb8ca33174a17ULL,
0x001fb9622ed4abfcULL, 0x001fb9f3bf92b619ULL, 0x001fba7f351a70adULL, 0x001fbb04d9a0d18dULL,
0x001fbb84f23fe6a2ULL, 0x001fbbffbf63b7aaULL, 0x001fbc757d2c4de5ULL, 0x001fbce663c6201bULL,
0x001fbd52a7b9f826ULL, 0x001fbdba7a354408ULL, 0x001fbe1e094ba614ULL, 0x001fbe7d80327ddbULL,
0x001fbed907770cc6ULL, 0x001fbf30c52fc60bULL, 0x001fbf84dd29488fULL, 0x001fbfd5710f72b9ULL,
0x001fc022a092f365ULL, 0x001fc06c898baff1ULL, 0x001fc0b348184da4ULL, 0x001fc0f6f6bb2415ULL,
0x001fc137ae74d6b7ULL, 0x001fc17586dccd10ULL, 0x001fc1b09637bb3cULL, 0x001fc1e8f18c6756ULL,
0x001fc21eacb6d39eULL, 0x001fc251da79f164ULL, 0x001fc2828c8ffcf0ULL, 0x001fc2b0d3b99f9eULL,
0x001fc2dcbfcbf263ULL, 0x001fc3065fbd7888ULL, 0x001fc32dc1b22819ULL, 0x001fc352f3069371ULL,
0x001fc376005a4593ULL, 0x001fc396f599614cULL, 0x001fc3b5de0591b4ULL, 0x001fc3d2c43e593cULL,
0x001fc3edb248cb62ULL, 0x001fc406b196bbf7ULL, 0x001fc41dcb0d6e0eULL, 0x001fc433070bcb99ULL,
0x001fc4466d702e21ULL, 0x001fc458059dc037ULL, 0x001fc467d6817e83ULL, 0x001fc475e696dee6ULL,
0x001fc4823bec237aULL, 0x001fc48cdc265ec1ULL, 0x001fc495cc852df5ULL, 0x001fc49d11e62de3ULL,
0x001fc4a2b0c82e75ULL, 0x001fc4a6ad4e28a0ULL, 0x001fc4a90b41fa34ULL, 0x001fc4a9ce16ea9fULL,
0x001fc4a8f8ebfb8cULL, 0x001fc4a68e8e07fcULL, 0x001fc4a29179b433ULL, 0x001fc49d03dd30b1ULL,
0x001fc495e799d21bULL, 0x001fc48d3e457ff6ULL, 0x001fc483092bfbb9ULL, 0x001fc477495001b2ULL,
0x001fc469ff6c4504ULL, 0x001fc45b2bf447e8ULL, 0x001fc44acf15112aULL, 0x001fc438e8b5bfc7ULL,
0x001fc4257877fd68ULL, 0x001fc4107db85061ULL, 0x001fc3f9f78e4da8ULL, 0x001fc3e1e4ccab40ULL,
0x001fc3c844013349ULL, 0x001fc3ad137497faULL, 0x001fc390512a2887ULL, 0x001fc371fadf66f8ULL,
0x001fc3520e0b7ec7ULL, 0x001fc33087de9c0fULL, 0x001fc30d654122edULL, 0x001fc2e8a2d2c6b4ULL,
0x001fc2c23ce98046ULL, 0x001fc29a2f90630fULL, 0x001fc27076864fc2ULL, 0x001fc2450d3c83ffULL,
0x001fc217eed505deULL, 0x001fc1e91620ea43ULL, 0x001fc1b87d9e74b4ULL, 0x001fc1861f770f4bULL,
0x001fc151f57d1943ULL, 0x001fc11bf9298a64ULL, 0x001fc0e42399698aULL, 0x001fc0aa6d8b1427ULL,
0x001fc06ecf5b54b3ULL, 0x001fc03141024589ULL, 0x001fbff1ba0ffdb0ULL, 0x001fbfb031a904c4ULL,
0x001fbf6c9e828ae3ULL, 0x001fbf26f6de6175ULL, 0x001fbedf3086b128ULL, 0x001fbe9540c9695fULL,
0x001fbe491c7364deULL, 0x001fbdfab7cb3f41ULL, 0x001fbdaa068bd66bULL, 0x001fbd56fbde729cULL,
0x001fbd018a548f9fULL, 0x001fbca9a3e140d5ULL, 0x001fbc4f39d22995ULL, 0x001fbbf23cc8029eULL,
0x001fbb929caea4e2ULL, 0x001fbb3048b49145ULL, 0x001fbacb2f41ec17ULL, 0x001fba633deee286ULL,
0x001fb9f861796f27ULL, 0x001fb98a85ba7204ULL, 0x001fb919959a0f74ULL, 0x001fb8a57b0347f6ULL,
0x001fb82e1ed6ba09ULL, 0x001fb7b368dc7da8ULL, 0x001fb7353fb50799ULL, 0x001fb6b388c9010aULL,
0x001fb62e2837fe59ULL, 0x001fb5a500c5fdaaULL, 0x001fb517f3c793fdULL, 0x001fb486e10cacd7ULL,
0x001fb3f1a6c9be0cULL, 0x001fb358217f4e18ULL, 0x001fb2ba2bdfa84bULL, 0x001fb2179eb2963aULL,
0x001fb17050b6f1fbULL, 0x001fb0c41681dff4ULL, 0x001fb012c25b7a13ULL, 0x001faf5c2418b07eULL,
0x001faea008f21d6dULL, 0x001fadde3b5782c1ULL, 0x001fad1682bf9fe9ULL, 0x001fac48a3740585ULL,
0x001fab745e588232ULL, 0x001faa9970adb858ULL, 0x001fa9b793ce5fefULL, 0x001fa8ce7ce6a875ULL,
0x001fa7dddca51ec4ULL, 0x001fa6e55ee46783ULL, 0x001fa5e4aa4d097dULL, 0x001fa4db5fee6aa3ULL,
0x001fa3c91ace0683ULL, 0x001fa2ad6f6bc4fcULL, 0x001fa187eb3a3339ULL, 0x001fa058140936c0ULL,
0x001f9f1d6761a1ceULL, 0x001f9dd759cfd803ULL, 0x001f9c85561b717aULL, 0x001f9b26bc697f00ULL,
0x001f99bae146ba81ULL, 0x001f98410c968892ULL, 0x001f96b878633892ULL, 0x001f95204f8b64dbULL,
0x001f9377ac47afd8ULL, 0x001f91bd968358e1ULL, 0x001f8ff102013e17ULL, 0x001f8e10cc45d04aULL,
0x001f8c1bba3d39adULL, 0x001f8a10759374faULL, 0x001f87ed89b24262ULL, 0x001f85b16056b913ULL,
0x001f835a3dad9162ULL, 0x001f80e63be21139ULL, 0x001f7e5346079f8aULL, 0x001f7b9f12413ff5ULL,
0x001f78c71b045cc0ULL, 0x001f75c8974d09d7ULL, 0x001f72a07190f13aULL, 0x001f6f4b3d32e4f4ULL,
0x001f6bc52a2b02e7ULL, 0x001f6809f6859679ULL, 0x001f6414dd445772ULL, 0x001f5fe08210d08cULL,
0x001f5b66d9099996ULL, 0x001f56a109c3ecc0ULL, 0x001f51874c5c3322ULL, 0x001f4c10bf1d3a0fULL,
0x001f463332d788fbULL, 0x001f3fe2eb6e694cULL, 0x001f39125157c106ULL, 0x001f31b18fb95532ULL,
0x001f29ae1951a874ULL, 0x001f20f20c452571ULL, 0x001f176369f1f77aULL, 0x001f0ce313a796b7ULL,
0x001f014b76ddd4a4ULL, 0x001ef46eca361cd0ULL, 0x001ee614ae6e5688ULL, 0x001ed5f6f08799ceULL,
0x001ec3bd07b46557ULL, 0x001eaef5b14ef09eULL, 0x001e970daf08ae3eULL, 0x001e7b42096f046cULL,
0x001e5a8b177cb7a3ULL, 0x001e337b71d47837ULL, 0x001e0409dfac9dc9ULL, 0x001dc934dd172c71ULL,
0x001d7e5bd56b18b3ULL, 0x001d1bfe2d5c3973ULL, 0x001c951d0f88651bULL, 0x001bd127f719447cULL,
0x001a9bb7320eb0aeULL, 0x00186ef58e3f3c10ULL, 0x00137d5bd79c3180ULL, 0x0000000000000000ULL,
};
static const double zig_exp_w[256] = {
0x1.164ec94bf5dc1p-50, 0x1.ec9d9297ebb83p-51, 0x1.bc39e51da71fcp-51, 0x1.9e9dc0d487b85p-51,
0x1.8939fe6f2ed19p-51, 0x1.78750d6eac62fp-51, 0x1.6aa676d4bbf72p-51, 0x1.5ee7ae17313d2p-51,
0x1.54ad83ccf73f6p-51, 0x1.4b9d7cd4751d1p-51, 0x1.4379766e41362p-51, 0x1.3c14ec7c8b861p-51,
0x1.354ee27ccf75ep-51, 0x1.2f0e38a4411fp-51, 0x1.293f5ae49aaa5p-51, 0x1.23d2bb659919fp-51,
0x1.1ebbca0c9fa7cp-51, 0x1.19f03bcb3c2d6p-51, 0x1.156786775442ap-51, 0x1.111a8034392a6p-51,
0x1.0d031785d48ap-51, 0x1.091c1cdcba54ep-51, 0x1.056118bf58eefp-51, 0x1.01ce2b362ec2ep-51,
0x1.fcbfe43f6c6e5p-52, 0x1.f626e9791f7a7p-52, 0x1.efcc26750ea4ap-52, 0x1.e9aaf2af383c1p-52,
0x1.e3bf26e19096p-52, 0x1.de050af4ef19fp-52, 0x1.d87946fec3becp-52, 0x1.d318d6b2738c5p-52,
0x1.cde0fecf2a97fp-52, 0x1.c8cf442c8c8f4p-52, 0x1.c3e1641c2e0a7p-52, 0x1.bf154de4bef77p-52,
0x1.ba691d276da5ep-52, 0x1.b5db15091ea0fp-52, 0x1.b1699c003b60ap-52, 0x1.ad13382d845c4p-52,
0x1.a8d68c2ad86eap-52, 0x1.a4b2543e84c3bp-52, 0x1.a0a563e49f178p-52, 0x1.9caea3a24d9eap-52,
0x1.98cd0f18d1ad8p-52, 0x1.94ffb34fc2a0ep-52, 0x1.9145ad2f37544p-52, 0x1.8d9e2823b3695p-52,
0x1.8a085ce695babp-52, 0x1.8683906687342p-52, 0x1.830f12cc0bec3p-52, 0x1.7faa3e96e1412p-52,
0x1.7c5477d1476d3p-52, 0x1.790d2b56b71f9p-52, 0x1.75d3ce2bd71c3p-52, 0x1.72a7dce5cd218p-52,
0x1.6f88db1f42507p-52, 0x1.6c7652f9a7b1ep-52, 0x1.696fd4a9748eep-52, 0x1.6674f60c3f432p-52,
0x1.63855247b2e94p-52, 0x1.60a0897081879p-52, 0x1.5dc640388bd9ep-52, 0x1.5af61fa38e107p-52,
0x1.582fd4c1b4461p-52, 0x1.5573106f8a75ap-52, 0x1.52bf871acaab2p-52, 0x1.5014f08b99508p-52,
0x1.4d7307b1cb127p-52, 0x1.4ad98a75da14cp-52, 0x1.4848398d39432p-52, 0x1.45bed851bc92cp-52,
0x1.433d2c9bd42f8p-52, 0x1.40c2fe9f5eeadp-52, 0x1.3e5018caddedp-52, 0x1.3be447a8d8b83p-52,
0x1.397f59c345143p-52, 0x1.37211f88ca856p-52, 0x1.34c96b33bc965p-52, 0x1.327810b2aa7dp-52,
0x1.302ce59265965p-52, 0x1.2de7c0e962d7p-52, 0x1.2ba87b445db51p-52, 0x1.296eee942532bp-52,
0x1.273af61c7daa6p-52, 0x1.250c6e6403bbap-52, 0x1.22e33524fe55p-52, 0x1.20bf293f0f4a2p-52,
0x1.1ea02aa9b337p-52, 0x1.1c861a6782a5ap-52, 0x1.1a70da7a2782p-52, 0x1.18604dd6fae9ep-52,
0x1.1654585c404c1p-52, 0x1.144cdec6f3a2bp-52, 0x1.1249c6a92154ap-52, 0x1.104af660befcep-52,
0x1.0e50550efcfb7p-52, 0x1.0c59ca900946fp-52, 0x1.0a673f733c819p-52, 0x1.08789cf3aad0fp-52,
0x1.068dccf1126dbp-52, 0x1.04a6b9e9224a3p-52, 0x1.02c34ef11391bp-52, 0x1.00e377af911d4p-52,
0x1.fe0e40add09d8p-53, 0x1.fa5c6b3efe1e5p-53, 0x1.f6b1498515edp-53, 0x1.f30cb6ea0bc7fp-53,
0x1.ef6e8fc5b9168p-53, 0x1.ebd6b154a7678p-53, 0x1.e844f9af4237fp-53, 0x1.e4b947c16a452p-53,
0x1.e1337b426509cp-53, 0x1.ddb374ad2357fp-53, 0x1.da391538da50ap-53, 0x1.d6c43ed1ea3ffp-53,
0x1.d354d4130f2adp-53, 0x1.cfeab83ed718p-53, 0x1.cc85cf395a56cp-53, 0x1.c925fd82323fbp-53,
0x1.c5cb282eab1a4p-53, 0x1.c27534e42e02dp-53, 0x1.bf2409d2dfd85p-53, 0x1.bbd78db07261p-53,
0x1.b88fa7b324fb6p-53, 0x1.b54c3f8cf2542p-53, 0x1.b20d3d66e8bb5p-53, 0x1.aed289dcaacffp-53,
0x1.ab9c0df81657ap-53, 0x1.a869b32d0f30fp-53, 0x1.a53b63556c69p-53, 0x1.a21108ad0592dp-53,
0x1.9eea8dcdde951p-53, 0x1.9bc7ddac7035dp-53, 0x1.98a8e3940bbf4p-53, 0x1.958d8b235828ap-53,
0x1.9275c048e73e1p-53, 0x1.8f616f3fe1513p-53, 0x1.8c50848cc6094p-53, 0x1.8942ecfa40f54p-53,
0x1.86389596108e7p-53, 0x1.83316badfe62ap-53, 0x1.802d5ccce7277p-53, 0x1.7d2c56b7d17f7p-53,
0x1.7a2e476b1240ap-53, 0x1.77331d177d13p-53, 0x1.743ac61fa041cp-53, 0x1.714531150a9fbp-53,
0x1.6e524cb59a608p-53, 0x1.6b6207e8d3cdfp-53, 0x1.687451bd3ebeep-53, 0x1.65891965c9b8cp-53,
0x1.62a04e3731a2ep-53, 0x1.5fb9dfa56cf26p-53, 0x1.5cd5bd4119335p-53, 0x1.59f3d6b4e9cf9p-53,
0x1.57141bc316f27p-53, 0x1.54367c42cb5f8p-53, 0x1.515ae81d900fbp-53, 0x1.4e814f4cb45eap-53,
0x1.4ba9a1d6b18a4p-53, 0x1.48d3cfcc883c4p-53, 0x1.45ffc94716ca7p-53, 0x1.432d7e6466cdp-53,
0x1.405cdf44f09c4p-53, 0x1.3d8ddc08d336dp-53, 0x1.3ac064ccfeffcp-53, 0x1.37f469a851afp-53,
0x1.3529daa8a1ba1p-53, 0x1.3260a7cfb7611p-53, 0x1.2f98c11031721p-53, 0x1.2cd2164a53b5dp-53,
0x1.2a0c9748bcdaap-53, 0x1.274833bd0189fp-53, 0x1.2484db3c2a329p-53, 0x1.21c27d3b10e05p-53,
0x1.1f01090a9c4e2p-53, 0x1.1c406dd3d5283p-53, 0x1.19809a93d2396p-53, 0x1.16c17e1777ffbp-53,
0x1.140306f707dbep-53, 0x1.114523917ac15p-53, 0x1.0e87c207a2f66p-53, 0x1.0bcad03710137p-53,
0x1.090e3bb4b0072p-53, 0x1.0651f1c7276f8p-53, 0x1.0395df60db162p-53, 0x1.00d9f119a3cd9p-53,
0x1.fc3c26504a9a1p-54, 0x1.f6c462b57feb5p-54, 0x1.f14c6e202949fp-54, 0x1.ebd41e5e21b62p-54,
0x1.e65b483cf1044p-54, 0x1.e0e1bf77c31fep-54, 0x1.db6756a429057p-54, 0x1.d5ebdf1d86b8dp-54,
0x1.d06f28ef0e6fbp-54, 0x1.caf102bc25adbp-54, 0x1.c57139a70d29fp-54, 0x1.bfef99359fe99p-54,
0x1.ba6beb33f8f89p-54, 0x1.b4e5f794c979bp-54, 0x1.af5d844f224c9p-54, 0x1.a9d255396d261p-54,
0x1.a4442be14884ap-54, 0x1.9eb2c75ff03bfp-54, 0x1.991de42ad1338p-54, 0x1.93853bdfda244p-54,
0x1.8de8850d0c52ap-54, 0x1.884772f2be1ecp-54, 0x1.82a1b53fed599p-54, 0x1.7cf6f7c7e8172p-54,
0x1.7746e23077973p-54, 0x1.71911797990bbp-54, 0x1.6bd5362faa944p-54, 0x1.6612d6d0c68ep-54,
0x1.60498c7dd2ecfp-54, 0x1.5a78e3db8befdp-54, 0x1.54a0629786f4dp-54, 0x1.4ebf86bcd0b93p-54,
0x1.48d5c5f35e712p-54, 0x1.42e28ca706748p-54, 0x1.3ce53d12162ap-54, 0x1.36dd2e26d8202p-54,
0x1.30c9aa526da4bp-54, 0x1.2aa9ee123680bp-54, 0x1.247d26538ff2ep-54, 0x1.1e426e93e49e7p-54,
0x1.17f8ceb4bdfap-54, 0x1.119f38749f5afp-54, 0x1.0b348479b80fcp-54, 0x1.04b76ed6a7558p-54,
0x1.fc4d25d683209p-55, 0x1.ef00ccf5f4faap-55, 0x1.e186678f1735ap-55, 0x1.d3da24df17c36p-55,
0x1.c5f7bd78c3f89p-55, 0x1.b7da5dddda3c4p-55, 0x1.a97c8be5d5203p-55, 0x1.9ad80552237d2p-55,
0x1.8be5954d3606fp-55, 0x1.7c9cdda17d019p-55, 0x1.6cf40f0a72bbdp-55, 0x1.5cdf89d024ac3p-55,
0x1.4c515c60bfe21p-55, 0x1.3b388fe3d6ecap-55, 0x1.2980290da2633p-55, 0x1.170db24d6f67p-55,
0x1.03bf049c65c3cp-55, 0x1.decd8b76dbd98p-56, 0x1.b38d1ef79b7ccp-56, 0x1.85090fbc27a8p-56,
0x1.522e6e54a2a73p-56, 0x1.19335a95b8dbap-56, 0x1.ad6b2495b4d2bp-57, 0x1.0589d8b5d4119p-57,
};
static const double zig_exp_f[257] = {
0x0p+0, 0x1.dc31c329f0b4bp-12, 0x1.fb20af78dfcb9p-11, 0x1.92bb5540c3e25p-10,
0x1.1946ba8e1a324p-9, 0x1.6d888f3a1feffp-9, 0x1.c58b381cd4b11p-9, 0x1.1073d69574043p-8,
0x1.3fa97cee322fdp-8, 0x1.7049f37ec362p-8, 0x1.a23e9d4974836p-8, 0x1.d5751fa745dc5p-8,
0x1.04ef2295fd7f9p-7, 0x1.1fb69edb37671p-7, 0x1.3b0b8c1516f62p-7, 0x1.56e930be416cbp-7,
0x1.734b6e6aa74f5p-7, 0x1.902ea688fa7bdp-7, 0x1.ad8fa5542c92dp-7, 0x1.cb6b9146e2757p-7,
0x1.e9bfdde89c7cep-7, 0x1.04452091e02fp-6, 0x1.13e4554725f5fp-6, 0x1.23bc9e1b93a32p-6,
0x1.33cd225315d84p-6, 0x1.44151ce87f0bep-6, 0x1.5493da6ab0251p-6, 0x1.6548b72a24077p-6,
0x1.76331da87fc96p-6, 0x1.8752853ec9967p-6, 0x1.98a670f132a48p-6, 0x1.aa2e6e6924e9bp-6,
0x1.bbea150fa587p-6, 0x1.cdd9054331b0cp-6, 0x1.dffae7a517468p-6, 0x1.f24f6c7af989p-6,
0x1.026b2590dfaeep-5, 0x1.0bc7a0c7cd651p-5, 0x1.153d09f19b3a1p-5, 0x1.1ecb45ff312d4p-5,
0x1.28723c956c00cp-5, 0x1.3231d7e3f14aep-5, 0x1.3c0a047ff18ffp-5, 0x1.45fab14266b19p-5,
0x1.5003cf296c5ebp-5, 0x1.5a25513c5d2cap-5, 0x1.645f2c726a041p-5, 0x1.6eb1579b6af52p-5,
0x1.791bcb4ab089ep-5, 0x1.839e81c3a396bp-5, 0x1.8e3976e80776dp-5, 0x1.98eca827b7c4cp-5,
0x1.a3b81471bf138p-5, 0x1.ae9bbc26a8084p-5, 0x1.b997a10bed985p-5, 0x1.c4abc640721e9p-5,
0x1.cfd83031e794ap-5, 0x1.db1ce4931581p-5, 0x1.e679ea52eb2e5p-5, 0x1.f1ef49944e834p-5,
0x1.fd7d0ba699676p-5, 0x1.04919d7f5c817p-4, 0x1.0a70f19871b3bp-4, 0x1.105c88756ca5p-4,
0x1.165468f755392p-4, 0x1.1c589a86fa34p-4, 0x1.22692512c9d8cp-4, 0x1.2886110ce057p-4,
0x1.2eaf676948dd1p-4, 0x1.34e5319c6e718p-4, 0x1.3b277999b9f9ep-4, 0x1.417649d25b10ep-4,
0x1.47d1ad343985cp-4, 0x1.4e39af290d929p-4, 0x1.54ae5b959d036p-4, 0x1.5b2fbed91bb3ep-4,
0x1.61bde5ccadef7p-4, 0x1.6858ddc30b62p-4, 0x1.6f00b488416b6p-4, 0x1.75b5786193c1ep-4,
0x1.7c77380d7a6f3p-4, 0x1.834602c3bc4bap-4, 0x1.8a21e835a533bp-4, 0x1.910af88e574b9p-4,
0x1.9801447336b7p-4, 0x1.9f04dd046f428p-4, 0x1.a615d3dd938b7p-4, 0x1.ad343b1655465p-4,
0x1.b460254356548p-4, 0x1.bb99a5771268fp-4, 0x1.c2e0cf42e10afp-4, 0x1.ca35b6b80fd57p-4,
0x1.d198706914dd7p-4, 0x1.d909116ad9398p-4, 0x1.e087af561bafbp-4, 0x1.e8146048eb9ccp-4,
0x1.efaf3ae83c33cp-4, 0x1.f758566190414p-4, 0x1.ff0fca6cbea8dp-4, 0x1.036ad7a6e7f04p-3,
0x1.07550eeb7a5bep-3, 0x1.0b4697b54b62fp-3, 0x1.0f3f7efec172p-3, 0x1.133fd20c9712fp-3,
0x1.17479e6f0ae78p-3, 0x1.1b56f2031d666p-3, 0x1.1f6ddaf3dca65p-3, 0x1.238c67bbbe878p-3,
0x1.27b2a7260994p-3, 0x1.2be0a8504cf34p-3, 0x1.30167aabe7d6ep-3, 0x1.34542dffa0cafp-3,
0x1.3899d2694d5c9p-3, 0x1.3ce7785f8a905p-3, 0x1.413d30b386a9ap-3, 0x1.459b0c92dccc6p-3,
0x1.4a011d8983096p-3, 0x1.4e6f7583cb6fap-3, 0x1.52e626d078c49p-3, 0x1.57654422e78f5p-3,
0x1.5bece0954c2b6p-3, 0x1.607d0fab06a31p-3, 0x1.6515e5530d1acp-3, 0x1.69b775ea6da28p-3,
0x1.6e61d63ee84eap-3, 0x1.73151b91a2839p-3, 0x1.77d15b99f46fep-3, 0x1.7c96ac8851baep-3,
0x1.816525094e7e6p-3, 0x1.863cdc48c1af9p-3, 0x1.8b1de9f5062d5p-3, 0x1.900866425bb79p-3,
0x1.94fc69ee692a1p-3, 0x1.99fa0e43e1623p-3, 0x1.9f016d1e4c512p-3, 0x1.a412a0edf5cbcp-3,
0x1.a92dc4bc03c49p-3, 0x1.ae52f42eb5b0bp-3, 0x1.b3824b8dcef3ep-3, 0x1.b8bbe7c72e4a5p-3,
0x1.bdffe67394435p-3, 0x1.c34e65db9afeep-3, 0x1.c8a784fce1802p-3, 0x1.ce0b638f6d09fp-3,
0x1.d37a220b431fdp-3, 0x1.d8f3e1ae3eeb8p-3, 0x1.de78c48224f39p-3, 0x1.e408ed62f83a7p-3,
0x1.e9a48005940f2p-3, 0x1.ef4ba0fe8e09bp-3, 0x1.f4fe75c963e7ep-3, 0x1.fabd24cff9354p-3,
0x1.0043eab93476ap-2, 0x1.032f580797c2cp-2, 0x1.0620ef05d90d2p-2, 0x1.0918c4ee93e13p-2,
0x1.0c16ef88f5333p-2, 0x1.0f1b852d9a66cp-2, 0x1.12269ccba9fbap-2, 0x1.15384dee291efp-2,
0x1.1850b0c191982p-2, 0x1.1b6fde19abc5ap-2, 0x1.1e95ef77b09dbp-2, 0x1.21c2ff10b7effp-2,
0x1.24f727d4776fdp-2, 0x1.2832857457629p-2, 0x1.2b75346ae2262p-2, 0x1.2ebf52039427p-2,
0x1.3210fc6312435p-2, 0x1.356a528fcd0ddp-2, 0x1.38cb747b17defp-2, 0x1.3c34830abb285p-2,
0x1.3fa5a0230a14ep-2, 0x1.431eeeb1841e2p-2, 0x1.46a092b80beefp-2, 0x1.4a2ab158bdad3p-2,
0x1.4dbd70e26f91dp-2, 0x1.5158f8dde89f5p-2, 0x1.54fd721bda3e7p-2, 0x1.58ab06c3aa9efp-2,
0x1.5c61e2631ee6cp-2, 0x1.602231fef5876p-2, 0x1.63ec2424827e4p-2, 0x1.67bfe8fc60d9fp-2,
0x1.6b9db25e4e99cp-2, 0x1.6f85b3e649e9dp-2, 0x1.7378230b08deap-2, 0x1.77753735e72e3p-2,
0x1.7b7d29dc6801ep-2, 0x1.7f90369b6ce59p-2, 0x1.83ae9b5446138p-2, 0x1.87d8984bc3f8cp-2,
0x1.8c0e704b75d39p-2, 0x1.905068c545d04p-2, 0x1.949ec9f9a811p-2, 0x1.98f9df2097ba8p-2,
0x1.9d61f695a3792p-2, 0x1.a1d76207521f4p-2, 0x1.a65a76aa3014p-2, 0x1.aaeb8d6fdf6e5p-2,
0x1.af8b03428ef5fp-2, 0x1.b43939454806fp-2, 0x1.b8f6951990b88p-2, 0x1.bdc3812aeeeb5p-2,
0x1.c2a06d00ea583p-2, 0x1.c78dcd983fb6p-2, 0x1.cc8c1dc40e092p-2, 0x1.d19bde97e1a0bp-2,
0x1.d6bd97db9ed7ap-2, 0x1.dbf1d88a7210cp-2, 0x1.e139375e137fcp-2, 0x1.e6945367dd351p-2,
0x1.ec03d4b969d9p-2, 0x1.f1886d1eb424dp-2, 0x1.f722d8ebfc5fap-2, 0x1.fcd3dfe214576p-2,
0x1.014e2b160f324p-1, 0x1.043e8ebd26548p-1, 0x1.073b931ee3b7dp-1, 0x1.0a45b8854d02ap-1,
0x1.0d5d8812b1e2bp-1, 0x1.108394a1cc38dp-1, 0x1.13b87bc33169cp-1, 0x1.16fce6dce6feep-1,
0x1.1a518c71e3b25p-1, 0x1.1db7319877b89p-1, 0x1.212eaba813ec8p-1, 0x1.24b8e228c50a3p-1,
0x1.2856d111132bdp-1, 0x1.2c098b61f4f24p-1, 0x1.2fd23e345da5ep-1, 0x1.33b23450e6318p-1,
0x1.37aada708ddd9p-1, 0x1.3bbdc44e1d114p-1, 0x1.3fecb2bb18b8p-1, 0x1.44399afa8e125p-1,
0x1.48a6afb8ee069p-1, 0x1.4d366c151f8afp-1, 0x1.51eba1578899ap-1, 0x1.56c9882da8773p-1,
0x1.5bd3d694cac75p-1, 0x1.610edc1a7af66p-1, 0x1.667fa6d4f5c06p-1, 0x1.6c2c3498418c6p-1,
0x1.721bb5ba94b63p-1, 0x1.7856e9b09d47ep-1, 0x1.7ee8a2d243126p-1, 0x1.85de87806c5b8p-1,
0x1.8d4a376d3d22fp-1, 0x1.95431c455aa39p-1, 0x1.9de9715556d9bp-1, 0x1.a76baa562fae7p-1,
0x1.b210f0ee67f2ap-1, 0x1.be5007beb7b27p-1, 0x1.cd0a65081fff1p-1, 0x1.e0545e5881137p-1,
0x1p+0, };

/* ------------------------------------------------------------------------ */
/* Core samplers                                                             */

/* x with its sign bit flipped when bit is 1: branch-free, as the sign is a
   coin toss that would defeat the branch predictor. */
static inline double flip_sign(double x, uint64_t bit)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    b ^= bit << 63;
    memcpy(&x, &b, sizeof x);
    return x;
}

/*
 * The ziggurats are split into an inlined fast path (one 64-bit draw, a
 * table look-up, a compare: 98% of calls) and an out-of-line slow path
 * that finishes the same draw u. Keeping the exp() and the loop out of the
 * fast path's function halves its cost (no register spills).
 */

/* Standard exponential, slow path for the draw u. In layer 0 beyond r the
   variable is r plus a fresh exponential (memorylessness), so the tail is
   exact and needs no log. */
__attribute__((noinline)) static double zig_exp_slow(gm_rng *r, uint64_t u)
{
    double off = 0;
    for (;;) {
        unsigned i = (unsigned)(u & 0xff);
        uint64_t j = u >> 11;
        double x = (double)j * zig_exp_w[i];
        if (j < zig_exp_k[i])
            return off + x;
        if (i == 0) {
            off += ZIG_EXP_R;
        } else {
            double y =
                zig_exp_f[i] + gm_rng_uniform(r) * (zig_exp_f[i + 1] - zig_exp_f[i]);
            if (y < exp(-x))
                return off + x;
        }
        u = gm_rng_next(r);
    }
}

static inline double zig_exp(gm_rng *r)
{
    uint64_t u = gm_rng_next(r);
    unsigned i = (unsigned)(u & 0xff);
    uint64_t j = u >> 11;
    if (__builtin_expect(j < zig_exp_k[i], 1))
        return (double)j * zig_exp_w[i];
    return zig_exp_slow(r, u);
}

/* Standard normal, slow path. The tail beyond r uses Marsaglia's (1964)
   exact method: with E1, E2 standard exponentials, t = E1 / r is accepted
   when 2 E2 > t^2, giving r + t. */
__attribute__((noinline)) static double zig_norm_slow(gm_rng *r, uint64_t u)
{
    for (;;) {
        unsigned i = (unsigned)(u & 0xff);
        uint64_t sign = (u >> 8) & 1;
        uint64_t j = u >> 11;
        double x = (double)j * zig_norm_w[i];
        if (j < zig_norm_k[i])
            return flip_sign(x, sign);
        if (i == 0) {
            double t, e;
            do {
                t = zig_exp(r) / ZIG_NORM_R;
                e = zig_exp(r);
            } while (2 * e <= t * t);
            return flip_sign(ZIG_NORM_R + t, sign);
        }
        double y = zig_norm_f[i] + gm_rng_uniform(r) * (zig_norm_f[i + 1] - zig_norm_f[i]);
        if (y < exp(-0.5 * x * x))
            return flip_sign(x, sign);
        u = gm_rng_next(r);
    }
}

/* Standard normal: bits 0-7 of the draw pick the layer, bit 8 the sign,
   bits 11-63 the position. */
static inline double zig_norm(gm_rng *r)
{
    uint64_t u = gm_rng_next(r);
    unsigned i = (unsigned)(u & 0xff);
    uint64_t j = u >> 11;
    if (__builtin_expect(j < zig_norm_k[i], 1))
        return flip_sign((double)j * zig_norm_w[i], (u >> 8) & 1);
    return zig_norm_slow(r, u);
}

/* Marsaglia & Tsang (2000) for shape >= 1: d = shape - 1/3, c = 1/sqrt(9d).
   The squeeze 1 - 0.0331 x^4 avoids the logarithms 98% of the time. */
static double gamma_mt(gm_rng *r, double d, double c)
{
    for (;;) {
        double x, v;
        do {
            x = zig_norm(r);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = gm_rng_uniform_pos(r);
        double x2 = x * x;
        if (u < 1 - 0.0331 * x2 * x2)
            return d * v;
        if (log(u) < 0.5 * x2 + d * (1 - v + log(v)))
            return d * v;
    }
}

/* log of a Gamma(shape, 1) variate, any shape > 0. For shape < 1,
   G(a) = G(a+1) U^(1/a) and log U = -E: no underflow however small the
   shape, which keeps the beta ratio below defined. */
static double gamma_log(gm_rng *r, double shape)
{
    if (shape >= 1) {
        double d = shape - 1.0 / 3;
        return log(gamma_mt(r, d, 1 / sqrt(9 * d)));
    }
    double d = shape + 1 - 1.0 / 3;
    return log(gamma_mt(r, d, 1 / sqrt(9 * d))) - zig_exp(r) / shape;
}

/* Beta(a, b) on [0, 1] as G1 / (G1 + G2). When a shape is below 1 both
   gammas can underflow, so the ratio is formed in log space. */
static double beta_std(gm_rng *r, double a, double b, double ca, double cb)
{
    if (a >= 1 && b >= 1) {
        double g1 = gamma_mt(r, a - 1.0 / 3, ca);
        double g2 = gamma_mt(r, b - 1.0 / 3, cb);
        return g1 / (g1 + g2);
    }
    double l1 = gamma_log(r, a), l2 = gamma_log(r, b);
    /* g1/(g1+g2) = 1/(1 + exp(l2 - l1)), computed on the side that cannot
       overflow. */
    double t = l2 - l1;
    if (t > 0) {
        double e = exp(-t);
        return e / (1 + e);
    }
    return 1 / (1 + exp(t));
}

static inline double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* ------------------------------------------------------------------------ */
/* Transformed rejection (Hoermann 1993) for Poisson and binomial            */

/*
 * Both samplers map a uniform U in (-1/2, 1/2) through
 *   k = floor((2a/us + b) U + shift),   us = 1/2 - |U|,
 * whose derivative G'(U) = b + a/us^2 makes the hat's mass on each integer k
 * exactly 1/C when U's density is weighted by G'. Accepting k with
 * probability pmf(k) G'(U) / C (as V <= ... with V uniform) therefore returns
 * k with probability proportional to pmf(k), provided pmf(k) G'(U) <= C
 * everywhere (the hat dominates). Quick acceptance (us >= 0.07 and V <= vr)
 * and, for PTRS, quick rejection (us < 0.013 and V > us) are valid where the
 * hat ratio is at least vr, and at most us. num__dist_check_hat verifies all
 * three for given parameters.
 */

/*
 * Safety factors. Checked exactly, k by k (num__dist_check_hat), Hoermann's
 * published PTRS constants let pmf(k) G'(U) exceed the hat constant by up
 * to 0.6% for means between 10 and about 1000, and drop below the
 * quick-acceptance bound by 0.2% near a mean of 43: the sampler's output
 * then differs from the Poisson pmf by up to 4e-5 relative (confirmed by
 * integrating its output distribution numerically). gemel enlarges the hat
 * and lowers the quick-acceptance bound, costing about 2% of speed. BTRS's
 * constants hold, with 0.5% to spare, and get a smaller margin of the same
 * kind. The tests check both over a dense grid of parameters.
 */
#define POISSON_INVERT_MAX 60.0   /* inversion below, PTRS (valid from 10) above */
#define BINOMIAL_INVERT_MAX 100.0 /* the same for n min(p, 1-p) and BTRS */
#define PTRS_HAT 1.02
#define PTRS_VR 0.97
#define BTRS_HAT 1.01
#define BTRS_VR 0.98

/* PTRS constants (valid from a mean of 10; used from POISSON_INVERT_MAX),
   stored as p[1..4] = b, a, log(C), vr. */
static void ptrs_setup(double mean, double *p)
{
    double smu = sqrt(mean);
    double b = 0.931 + 2.53 * smu;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = (1.1239 + 1.1328 / (b - 3.4)) * PTRS_HAT;
    p[1] = b;
    p[2] = a;
    p[3] = log(inv_alpha);
    p[4] = (0.9277 - 3.6224 / (b - 2)) * PTRS_VR;
}

/*
 * Inversion by sequential search from the mode m: X is the smallest k with
 * F(k) > u. Starting at the mode (F(m) and P(m) precomputed) takes about
 * 1 + 0.8 sd steps instead of mean + 1 from zero, and walks down by
 * multiplications only. If rounding leaves the cumulative sum short of u
 * (u within 1e-16 of 1), the draw is repeated rather than a wrong tail
 * value returned.
 */
static double poisson_invert(const gm_dist *d, gm_rng *r)
{
    double mean = d->p[0], fm = d->p[1], pm = d->p[2], m = d->p[3], inv_mean = d->p[4];
    for (;;) {
        double u = gm_rng_uniform(r);
        double k = m, pk = pm, cum = fm;
        if (u < cum) {
            /* P(k-1) = P(k) k / mean; F(k-1) = F(k) - P(k) */
            while (k > 0 && u < cum - pk) {
                cum -= pk;
                pk *= k * inv_mean;
                k -= 1;
            }
            return k;
        }
        while (u >= cum && pk > 0) {
            k += 1;
            pk *= mean / k;
            cum += pk;
        }
        if (u < cum)
            return k;
    }
}

OUT_OF_LINE static double poisson_sample(const gm_dist *d, gm_rng *r)
{
    double mean = d->p[0];
    if (mean < POISSON_INVERT_MAX)
        return poisson_invert(d, r);
    double b = d->p[1], a = d->p[2], lc = d->p[3], vr = d->p[4];
    for (;;) {
        double u = gm_rng_uniform_pos(r) - 0.5; /* open interval: us > 0 */
        double v = gm_rng_uniform(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr)
            return k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + lc - log(a / (us * us) + b) <= gm_poisson_logpmf(k, mean))
            return k;
    }
}

/* BTRS constants (valid from n pp = 10, pp = min(p, 1-p); used from
   BINOMIAL_INVERT_MAX): p[3..5] = b, vr, and log pmf(m) at the mode
   m = floor((n+1) pp). a, alpha and the shift are cheap functions of these. */
static void btrs_setup(double n, double pp, double *p)
{
    double spq = sqrt(n * pp * (1 - pp));
    double b = 1.15 + 2.53 * spq;
    p[3] = b;
    p[4] = (0.92 - 4.2 / b) * BTRS_VR;
    p[5] = gm_binomial_logpmf(floor((n + 1) * pp), n, pp);
}

static double btrs_a(double b, double pp)
{
    return -0.0873 + 0.0248 * b + 0.01 * pp;
}

/* The hat constant, relative to pmf(m). */
static double btrs_alpha(double b, double n, double pp)
{
    return (2.83 + 5.1 / b) * sqrt(n * pp * (1 - pp)) * BTRS_HAT;
}

/* Binomial inversion from the mode, as for the Poisson; pp <= 1/2. */
static double binomial_invert(const gm_dist *d, gm_rng *r)
{
    double n = d->p[0], pp = d->p[2], fm = d->p[3], pm = d->p[4], m = d->p[5];
    double ratio = pp / (1 - pp);
    for (;;) {
        double u = gm_rng_uniform(r);
        double k = m, pk = pm, cum = fm;
        if (u < cum) {
            /* P(k-1) = P(k) k / ((n-k+1) ratio) */
            while (k > 0 && u < cum - pk) {
                cum -= pk;
                pk *= k / ((n - k + 1) * ratio);
                k -= 1;
            }
            return k;
        }
        while (u >= cum && k < n) {
            pk *= (n - k) / (k + 1) * ratio;
            k += 1;
            cum += pk;
        }
        if (u < cum)
            return k;
    }
}

OUT_OF_LINE static double binomial_sample(const gm_dist *d, gm_rng *r)
{
    double n = d->p[0], pp = d->p[2], k;
    bool flip = d->p[1] > 0.5;
    if (n * pp < BINOMIAL_INVERT_MAX) {
        k = binomial_invert(d, r);
    } else {
        double b = d->p[3], vr = d->p[4], lpm = d->p[5];
        double a = btrs_a(b, pp), c = n * pp + 0.5;
        for (;;) {
            double u = gm_rng_uniform_pos(r) - 0.5;
            double v = gm_rng_uniform(r);
            double us = 0.5 - fabs(u);
            k = floor((2 * a / us + b) * u + c);
            if (k < 0 || k > n)
                continue;
            if (us >= 0.07 && v <= vr)
                break;
            double alpha = btrs_alpha(b, n, pp);
            if (log(v * alpha / (a / (us * us) + b)) <= gm_binomial_logpmf(k, n, pp) - lpm)
                break;
        }
    }
    return flip ? n - k : k;
}

/* ------------------------------------------------------------------------ */
/* Truncated normal                                                          */

/*
 * Layout: p[0] = min, p[1] = max (infinite on an open side), p[2] = mean,
 * p[3] = s = +-sd, p[4] = a, p[5] = method. The sampler works in oriented
 * standard units z (x = mean + s z), oriented so that the interval is on the
 * positive side (a = its lower end >= 0) unless it straddles the mean
 * (a = 0). Methods, all exact:
 *   TN_NORMAL        z ~ N(0, 1), rejected outside      (mass >= 1/4)
 *   TN_HALFNORMAL    z = |N(0, 1)|, rejected outside    (one side, mass >= 1/4)
 *   TN_UNIFORM       x uniform on [min, max], accepted with probability
 *                    exp(-z^2/2)                        (narrow, straddling)
 *   TN_UNIFORM_TAIL  the same with exp(-(z^2 - a^2)/2)  (narrow, in a tail)
 *   p[5] > 0         Robert (1995): z = a + E/lambda, lambda = p[5], accepted
 *                    with probability exp(-(z - lambda)^2/2)   (tails)
 * In the tail methods everything is measured from the near bound, as the
 * offset z - a, never as mean + s z: 1000 or 10^9 standard deviations out,
 * mean + s z would round away from the bound (and could never land inside
 * it), and z^2 - a^2 would be lost to cancellation. lambda - a = 1/lambda
 * exactly, as lambda^2 = a lambda + 1.
 */
#define TN_NORMAL 0.0
#define TN_HALFNORMAL (-1.0)
#define TN_UNIFORM (-2.0)
#define TN_UNIFORM_TAIL (-3.0)

OUT_OF_LINE static double truncnormal_sample(const gm_dist *d, gm_rng *r)
{
    double lo = d->p[0], hi = d->p[1], mu = d->p[2], s = d->p[3], a = d->p[4];
    double method = d->p[5], sd = fabs(s);
    double near = s > 0 ? lo : hi;
    for (;;) {
        if (method > 0) {
            double off = zig_exp(r) / method; /* z - a */
            double t = off - 1 / method;      /* z - lambda */
            if (2 * zig_exp(r) < t * t)
                continue;
            double x = near + s * off;
            if (x >= lo && x <= hi) /* only the far bound can reject */
                return x;
            continue;
        }
        if (method == TN_UNIFORM || method == TN_UNIFORM_TAIL) {
            double x = lo + gm_rng_uniform(r) * (hi - lo);
            double e2 = 2 * zig_exp(r);
            if (method == TN_UNIFORM) {
                double z = (x - mu) / sd;
                if (e2 < z * z)
                    continue;
            } else {
                double off = fabs(x - near) / sd; /* z - a */
                if (e2 < off * (2 * a + off))
                    continue;
            }
            return x;
        }
        double z = method == TN_NORMAL ? zig_norm(r) : fabs(zig_norm(r));
        double x = mu + s * z;
        if (x >= lo && x <= hi)
            return x;
    }
}

/* Gauss-Legendre nodes and weights on [-1, 1] (Newton on the Legendre
   recurrence; computed per call, a few microseconds). */
#define GL_N 10
static void gauss_legendre(double *node, double *weight)
{
    for (int i = 0; i < (GL_N + 1) / 2; i++) {
        double z = cos(M_PI * (i + 0.75) / (GL_N + 0.5)), dp = 1;
        for (int it = 0; it < 100; it++) {
            double p0 = 1, p1 = 0;
            for (int j = 1; j <= GL_N; j++) {
                double p2 = p1;
                p1 = p0;
                p0 = ((2 * j - 1) * z * p1 - (j - 1) * p2) / j;
            }
            dp = GL_N * (z * p0 - p1) / (z * z - 1);
            double z1 = z;
            z = z1 - p0 / dp;
            if (fabs(z - z1) < 1e-16)
                break;
        }
        node[i] = -z;
        node[GL_N - 1 - i] = z;
        weight[i] = weight[GL_N - 1 - i] = 2 / ((1 - z * z) * dp * dp);
    }
}

/*
 * Mean and variance of N(0, 1) truncated to [al, be] (standard units), by
 * Gauss-Legendre quadrature of the moments about the mode z0 with the
 * weight exp(-(z - z0)(z + z0)/2) <= 1. The closed forms (phi(a) - phi(b)) / Z
 * and friends cancel catastrophically in far tails and in narrow
 * intervals; the quadrature does not. Panels shrink as 1/|z| so each sees
 * a bounded change of the log-density, and the range stops where the
 * weight falls below e^-46 (1e-20).
 */
static void tn_std_moments(double al, double be, double *mean, double *var)
{
    double node[GL_N], weight[GL_N];
    gauss_legendre(node, weight);
    double z0 = al > 0 ? al : (be < 0 ? be : 0);
    /* t = z - z0 ranges over [tlo, thi]; t (t + 2 z0)/2 <= 46 bounds it. */
    const double c = 92;
    double reach_up = c / (hypot(z0, sqrt(c)) + z0);    /* >= 0, no overflow */
    double reach_down = c / (hypot(z0, sqrt(c)) - z0);
    double thi = fmin(be - z0, reach_up), tlo = fmax(al - z0, -reach_down);
    double m0 = 0, m1 = 0, m2 = 0;
    for (int side = 0; side < 2; side++) {
        double t = 0, end = side == 0 ? thi : -tlo;
        double dir = side == 0 ? 1 : -1;
        while (t < end) {
            double h = 0.5 / (1 + fabs(z0 + dir * t));
            double t1 = fmin(t + h, end);
            double mid = 0.5 * (t + t1), half = 0.5 * (t1 - t);
            for (int i = 0; i < GL_N; i++) {
                double tt = dir * (mid + half * node[i]);
                double w = weight[i] * half * exp(-0.5 * tt * (tt + 2 * z0));
                m0 += w;
                m1 += w * tt;
                m2 += w * tt * tt;
            }
            t = t1;
        }
    }
    double mt = m1 / m0;
    *mean = z0 + mt;
    *var = fmax(m2 / m0 - mt * mt, 0.0);
}

/* P(Z <= z | al < Z < be) for standard units, accurate in far tails: there
   the ratios of Mills ratios R(z) = Q(z)/phi(z) replace the underflowing
   normal tail probabilities. */
static double tn_std_cdf(double al, double be, double z)
{
    if (z <= al)
        return 0.0;
    if (z >= be)
        return 1.0;
    if (al < 0 && be > 0) {
        double lo = erf(al * M_SQRT1_2);
        return (erf(z * M_SQRT1_2) - lo) / (erf(be * M_SQRT1_2) - lo);
    }
    bool left = be <= 0; /* mirror a left-tail interval onto the right */
    double a = left ? -be : al, b = left ? -al : be, w = left ? -z : z;
    /* rho(t) = Q(t)/Q(a) */
    double ra = gm_erfcx(a * M_SQRT1_2);
    double rw = gm_erfcx(w * M_SQRT1_2) / ra * exp(-0.5 * (w - a) * (w + a));
    double rb = isinf(b) ? 0.0 : gm_erfcx(b * M_SQRT1_2) / ra * exp(-0.5 * (b - a) * (b + a));
    if (left) /* P(Z <= z) = P(W >= w) = (rho(w) - rho(b)) / (1 - rho(b)) */
        return (rw - rb) / (1 - rb);
    return (1 - rw) / (1 - rb);
}

static void tn_standard_bounds(const gm_dist *d, double *al, double *be)
{
    double mu = d->p[2], sd = fabs(d->p[3]);
    *al = (d->p[0] - mu) / sd;
    *be = (d->p[1] - mu) / sd;
}

/* ------------------------------------------------------------------------ */
/* Sampling                                                                  */

/* One small function per kind, so that gm_dist_sample is a jump table of
   tail calls and the fast paths (one 64-bit draw for the ziggurats) do not
   pay for the register saves of the slow ones. The slow ones are kept out
   of line (OUT_OF_LINE, above their definitions): inlined, they gave
   gm_dist_sample a 264-byte frame and six register saves on every call. */

static double s_constant(const gm_dist *d, gm_rng *r)
{
    (void)r;
    return d->p[0];
}

static double s_uniform(const gm_dist *d, gm_rng *r)
{
    return fmin(d->p[0] + gm_rng_uniform(r) * d->p[2], d->p[1]);
}

static double s_exponential(const gm_dist *d, gm_rng *r)
{
    return d->p[0] * zig_exp(r);
}

static double s_normal(const gm_dist *d, gm_rng *r)
{
    return d->p[0] + d->p[1] * zig_norm(r);
}

OUT_OF_LINE static double s_lognormal(const gm_dist *d, gm_rng *r)
{
    return exp(d->p[0] + d->p[1] * zig_norm(r));
}

OUT_OF_LINE static double s_gamma(const gm_dist *d, gm_rng *r)
{
    const double *p = d->p;
    if (p[4] > 0) /* shape < 1 */
        return p[1] * gamma_mt(r, p[2], p[3]) * exp(-zig_exp(r) * p[4]);
    return p[1] * gamma_mt(r, p[2], p[3]);
}

OUT_OF_LINE static double s_erlang(const gm_dist *d, gm_rng *r)
{
    const double *p = d->p;
    if (p[0] <= 16) {
        /* A sum of k exponentials is exact and, for few phases, faster than
           the gamma sampler. */
        double s = 0;
        for (int i = 0; i < (int)p[0]; i++)
            s += zig_exp(r);
        return p[2] * s;
    }
    return p[2] * gamma_mt(r, p[3], p[4]);
}

OUT_OF_LINE static double s_weibull(const gm_dist *d, gm_rng *r)
{
    return d->p[1] * pow(zig_exp(r), d->p[2]);
}

/* c ? a : b by masks, never a branch (nor a table in memory) */
static inline double select_bits(bool c, double a, double b)
{
    uint64_t ua, ub, m = -(uint64_t)c;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    uint64_t ux = (ua & m) | (ub & ~m);
    double x;
    memcpy(&x, &ux, sizeof x);
    return x;
}

static double s_triangular(const gm_dist *d, gm_rng *r)
{
    const double *p = d->p;
    double u = gm_rng_uniform(r);
    /* p[0] + sqrt(u p[4]) left of the mode, p[2] - sqrt((1 - u) p[5])
       right of it, chosen by selects rather than a branch: the side is a
       coin toss the branch predictor cannot learn */
    bool left = u < p[3];
    double s = sqrt(select_bits(left, u * p[4], (1 - u) * p[5]));
    double x = select_bits(left, p[0] + s, p[2] - s);
    return clamp(x, p[0], p[2]);
}

OUT_OF_LINE static double s_beta(const gm_dist *d, gm_rng *r)
{
    const double *p = d->p;
    return clamp(p[2] + (p[3] - p[2]) * beta_std(r, p[0], p[1], p[4], p[5]), p[2], p[3]);
}

OUT_OF_LINE static double s_pert(const gm_dist *d, gm_rng *r)
{
    const double *p = d->p;
    double a = p[4], b = p[5]; /* both >= 1 */
    double x = beta_std(r, a, b, 1 / sqrt(9 * (a - 1.0 / 3)), 1 / sqrt(9 * (b - 1.0 / 3)));
    return clamp(p[0] + (p[2] - p[0]) * x, p[0], p[2]);
}

static double s_bernoulli(const gm_dist *d, gm_rng *r)
{
    return gm_rng_uniform(r) < d->p[0] ? 1.0 : 0.0;
}

OUT_OF_LINE static double s_geometric(const gm_dist *d, gm_rng *r)
{
    /* P(1 + floor(E/c) > k) = P(E >= k c) = (1-p)^k with c = -log(1-p). */
    return 1 + floor(zig_exp(r) * d->p[1]);
}

OUT_OF_LINE static double s_empirical_discrete(const gm_dist *d, gm_rng *r)
{
    uint64_t i = gm_rng_below(r, d->n);
    return gm_rng_uniform(r) < d->q[i] ? d->x[i] : d->x[d->alias[i]];
}

OUT_OF_LINE static double s_empirical_continuous(const gm_dist *d, gm_rng *r)
{
    double pos = gm_rng_uniform(r) * (double)(d->n - 1);
    size_t i = (size_t)pos;
    if (i >= d->n - 1)
        i = d->n - 2;
    double lo = d->x[i], hi = d->x[i + 1];
    return fmin(lo + (pos - (double)i) * (hi - lo), hi);
}

double gm_dist_sample(const gm_dist *d, gm_rng *r)
{
    switch (d->kind) {
    case GM_DIST_CONSTANT: return s_constant(d, r);
    case GM_DIST_UNIFORM: return s_uniform(d, r);
    case GM_DIST_EXPONENTIAL: return s_exponential(d, r);
    case GM_DIST_NORMAL: return s_normal(d, r);
    case GM_DIST_TRUNCNORMAL: return truncnormal_sample(d, r);
    case GM_DIST_LOGNORMAL: return s_lognormal(d, r);
    case GM_DIST_GAMMA: return s_gamma(d, r);
    case GM_DIST_ERLANG: return s_erlang(d, r);
    case GM_DIST_WEIBULL: return s_weibull(d, r);
    case GM_DIST_TRIANGULAR: return s_triangular(d, r);
    case GM_DIST_BETA: return s_beta(d, r);
    case GM_DIST_PERT: return s_pert(d, r);
    case GM_DIST_POISSON: return poisson_sample(d, r);
    case GM_DIST_BINOMIAL: return binomial_sample(d, r);
    case GM_DIST_BERNOULLI: return s_bernoulli(d, r);
    case GM_DIST_GEOMETRIC: return s_geometric(d, r);
    case GM_DIST_EMPIRICAL_DISCRETE: return s_empirical_discrete(d, r);
    case GM_DIST_EMPIRICAL_CONTINUOUS: return s_empirical_continuous(d, r);
    }
    return (double)NAN;
}

void gm_dist_sample_n(const gm_dist *d, gm_rng *r, double *out, size_t n)
{
    /* the kinds with an inlined sampler get a loop each; the rest gain
       nothing from one */
    switch (d->kind) {
    case GM_DIST_UNIFORM:
        for (size_t i = 0; i < n; i++)
            out[i] = s_uniform(d, r);
        return;
    case GM_DIST_EXPONENTIAL:
        for (size_t i = 0; i < n; i++)
            out[i] = s_exponential(d, r);
        return;
    case GM_DIST_NORMAL:
        for (size_t i = 0; i < n; i++)
            out[i] = s_normal(d, r);
        return;
    case GM_DIST_TRIANGULAR:
        for (size_t i = 0; i < n; i++)
            out[i] = s_triangular(d, r);
        return;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = gm_dist_sample(d, r);
        return;
    }
}

/* ------------------------------------------------------------------------ */
/* Moments and CDF                                                           */

double gm_dist_mean(const gm_dist *d)
{
    const double *p = d->p;
    switch (d->kind) {
    case GM_DIST_CONSTANT: return p[0];
    case GM_DIST_UNIFORM: return p[0] + 0.5 * p[2];
    case GM_DIST_EXPONENTIAL: return p[0];
    case GM_DIST_NORMAL: return p[0];
    case GM_DIST_TRUNCNORMAL: {
        double al, be, m, v;
        tn_standard_bounds(d, &al, &be);
        tn_std_moments(al, be, &m, &v);
        return p[2] + fabs(p[3]) * m;
    }
    case GM_DIST_LOGNORMAL: return p[2];
    case GM_DIST_GAMMA: return p[0] * p[1];
    case GM_DIST_ERLANG: return p[1];
    case GM_DIST_WEIBULL: return p[3];
    case GM_DIST_TRIANGULAR: return p[0] + ((p[1] - p[0]) + (p[2] - p[0])) / 3;
    case GM_DIST_BETA: return p[2] + (p[3] - p[2]) * (p[0] / (p[0] + p[1]));
    case GM_DIST_PERT: return p[0] + (p[2] - p[0]) * (p[4] / (p[4] + p[5]));
    case GM_DIST_POISSON: return p[0];
    case GM_DIST_BINOMIAL: return p[0] * p[1];
    case GM_DIST_BERNOULLI: return p[0];
    case GM_DIST_GEOMETRIC: return 1 / p[0];
    case GM_DIST_EMPIRICAL_DISCRETE:
    case GM_DIST_EMPIRICAL_CONTINUOUS: return p[0];
    }
    return (double)NAN;
}

/* Variance of Beta(a, b) on an interval of width w, as (w sd)^2 so that a
   wide interval with a small standardized variance does not overflow. */
static double beta_var(double a, double b, double w)
{
    double s = a + b;
    double sd = w * sqrt(a / s * (b / s) / (s + 1));
    return sd * sd;
}

double gm_dist_var(const gm_dist *d)
{
    const double *p = d->p;
    switch (d->kind) {
    case GM_DIST_CONSTANT: return 0.0;
    case GM_DIST_UNIFORM: return p[2] * p[2] / 12;
    case GM_DIST_EXPONENTIAL: return p[0] * p[0];
    case GM_DIST_NORMAL: return p[1] * p[1];
    case GM_DIST_TRUNCNORMAL: {
        double al, be, m, v;
        tn_standard_bounds(d, &al, &be);
        tn_std_moments(al, be, &m, &v);
        double sd = fabs(p[3]) * sqrt(v);
        return sd * sd;
    }
    case GM_DIST_LOGNORMAL: return p[3];
    case GM_DIST_GAMMA: {
        double sd = sqrt(p[0]) * p[1];
        return sd * sd;
    }
    case GM_DIST_ERLANG: {
        double sd = sqrt(p[0]) * p[2];
        return sd * sd;
    }
    case GM_DIST_WEIBULL: return p[4];
    case GM_DIST_TRIANGULAR: {
        double d1 = p[2] - p[0], d2 = p[1] - p[0];
        return (d1 * d1 + d2 * d2 - d1 * d2) / 18;
    }
    case GM_DIST_BETA: return beta_var(p[0], p[1], p[3] - p[2]);
    case GM_DIST_PERT: return beta_var(p[4], p[5], p[2] - p[0]);
    case GM_DIST_POISSON: return p[0];
    case GM_DIST_BINOMIAL: return p[0] * p[1] * (1 - p[1]);
    case GM_DIST_BERNOULLI: return p[0] * (1 - p[0]);
    case GM_DIST_GEOMETRIC: return (1 - p[0]) / (p[0] * p[0]);
    case GM_DIST_EMPIRICAL_DISCRETE:
    case GM_DIST_EMPIRICAL_CONTINUOUS: return p[1];
    }
    return (double)NAN;
}

static double cdf_raw(const gm_dist *d, double x);

double gm_dist_cdf(const gm_dist *d, double x)
{
    double c = cdf_raw(d, x);
    return isnan(c) ? c : clamp(c, 0, 1);
}

static double cdf_raw(const gm_dist *d, double x)
{
    const double *p = d->p;
    if (isnan(x))
        return (double)NAN;
    switch (d->kind) {
    case GM_DIST_CONSTANT: return x >= p[0] ? 1.0 : 0.0;
    case GM_DIST_UNIFORM: return clamp((x - p[0]) / p[2], 0, 1);
    case GM_DIST_EXPONENTIAL: return x <= 0 ? 0.0 : -expm1(-x / p[0]);
    case GM_DIST_NORMAL: return gm_normal_cdf((x - p[0]) / p[1]);
    case GM_DIST_TRUNCNORMAL: {
        if (x < p[0])
            return 0.0;
        if (x >= p[1])
            return 1.0;
        double al, be;
        tn_standard_bounds(d, &al, &be);
        return clamp(tn_std_cdf(al, be, (x - p[2]) / fabs(p[3])), 0, 1);
    }
    case GM_DIST_LOGNORMAL: return x <= 0 ? 0.0 : gm_normal_cdf((log(x) - p[0]) / p[1]);
    case GM_DIST_GAMMA: return x <= 0 ? 0.0 : gm_gamma_p(p[0], x / p[1]);
    case GM_DIST_ERLANG: return x <= 0 ? 0.0 : gm_gamma_p(p[0], x / p[2]);
    case GM_DIST_WEIBULL: return x <= 0 ? 0.0 : -expm1(-pow(x / p[1], p[0]));
    case GM_DIST_TRIANGULAR: {
        double a = p[0], c = p[1], b = p[2];
        if (x <= a)
            return 0.0;
        if (x >= b)
            return 1.0;
        if (x < c)
            return (x - a) / (b - a) * ((x - a) / (c - a));
        return 1 - (b - x) / (b - a) * ((b - x) / (b - c));
    }
    case GM_DIST_BETA:
    case GM_DIST_PERT: {
        double lo = d->kind == GM_DIST_BETA ? p[2] : p[0];
        double hi = d->kind == GM_DIST_BETA ? p[3] : p[2];
        double a = d->kind == GM_DIST_BETA ? p[0] : p[4];
        double b = d->kind == GM_DIST_BETA ? p[1] : p[5];
        if (x <= lo)
            return 0.0;
        if (x >= hi)
            return 1.0;
        return gm_beta_inc(a, b, (x - lo) / (hi - lo));
    }
    case GM_DIST_POISSON:
        if (x < 0)
            return 0.0;
        if (p[0] == 0)
            return 1.0;
        return gm_gamma_q(floor(x) + 1, p[0]);
    case GM_DIST_BINOMIAL: {
        double n = p[0], k = floor(x);
        if (k < 0)
            return 0.0;
        if (k >= n)
            return 1.0;
        if (p[1] == 0)
            return 1.0;
        if (p[1] == 1)
            return 0.0;
        return gm_beta_inc(n - k, k + 1, 1 - p[1]);
    }
    case GM_DIST_BERNOULLI: return x < 0 ? 0.0 : (x < 1 ? 1 - p[0] : 1.0);
    case GM_DIST_GEOMETRIC: {
        double k = floor(x);
        if (k < 1)
            return 0.0;
        if (p[0] == 1)
            return 1.0;
        return -expm1(k * log1p(-p[0]));
    }
    case GM_DIST_EMPIRICAL_DISCRETE: {
        /* Value i has probability (q_i + sum over j aliasing to i of
           (1 - q_j)) / n: read the masses off the alias table. */
        double s = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (d->x[i] <= x)
                s += d->q[i];
            if (d->x[d->alias[i]] <= x)
                s += 1 - d->q[i];
        }
        return clamp(s / (double)d->n, 0, 1);
    }
    case GM_DIST_EMPIRICAL_CONTINUOUS: {
        const double *v = d->x;
        size_t n = d->n;
        if (x < v[0])
            return 0.0;
        if (x >= v[n - 1])
            return 1.0;
        /* Last i with v[i] <= x; then v[i] <= x < v[i+1]. */
        size_t lo = 0, hi = n - 1;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (v[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        double frac = (x - v[lo]) / (v[lo + 1] - v[lo]);
        return clamp(((double)lo + frac) / (double)(n - 1), 0, 1);
    }
    }
    return (double)NAN;
}

bool gm_dist_nonnegative(const gm_dist *d)
{
    /* The CDF just below 0: exact for every kind, discrete ones included. */
    return !(gm_dist_cdf(d, -DBL_MIN) > 0) && gm_dist_mean(d) >= 0;
}

bool gm_dist_is_discrete(const gm_dist *d)
{
    switch (d->kind) {
    case GM_DIST_CONSTANT:
    case GM_DIST_POISSON:
    case GM_DIST_BINOMIAL:
    case GM_DIST_BERNOULLI:
    case GM_DIST_GEOMETRIC:
    case GM_DIST_EMPIRICAL_DISCRETE: return true;
    default: return false;
    }
}

/* ------------------------------------------------------------------------ */
/* Constructors                                                              */

/* Shortest text that reads back as v ("10", "0.1", "1e+300"); integers
   below 2^53 in full, as gm_json_unpack writes them. */
static void fmt_num(char *buf, size_t n, double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int param_err(gm_err *err, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int param_err(gm_err *err, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, GM_EINVAL, param, fmt, ap);
    va_end(ap);
    return GM_EINVAL;
}

/* The checks below word their messages like gm_json_unpack's, so a model
   author sees one style whether JSON typing or a constructor caught it. */
static int need_finite(gm_err *err, const char *param, double v)
{
    if (isfinite(v))
        return GM_OK;
    char b[40];
    fmt_num(b, sizeof b, v);
    return param_err(err, param, "expected a finite number, got %s", b);
}

static int need_positive(gm_err *err, const char *param, double v)
{
    int rc = need_finite(err, param, v);
    if (rc == GM_OK && !(v > 0)) {
        char b[40];
        fmt_num(b, sizeof b, v);
        rc = param_err(err, param, "expected number > 0, got %s", b);
    }
    return rc;
}

static int need_range(gm_err *err, const char *param, double v, double lo, double hi,
                      bool lo_open)
{
    int rc = need_finite(err, param, v);
    if (rc == GM_OK && (lo_open ? !(v > lo) : !(v >= lo))) {
        char b[40], l[40], h[40];
        fmt_num(b, sizeof b, v);
        fmt_num(l, sizeof l, lo);
        fmt_num(h, sizeof h, hi);
        rc = param_err(err, param, "expected number in %c%s, %s], got %s", lo_open ? '(' : '[',
                       l, h, b);
    }
    if (rc == GM_OK && !(v <= hi)) {
        char b[40], l[40], h[40];
        fmt_num(b, sizeof b, v);
        fmt_num(l, sizeof l, lo);
        fmt_num(h, sizeof h, hi);
        rc = param_err(err, param, "expected number in %c%s, %s], got %s", lo_open ? '(' : '[',
                       l, h, b);
    }
    return rc;
}

/* "max: expected number > min (3), got 2" */
static int need_above(gm_err *err, const char *param, double v, const char *other, double ov,
                      bool strict)
{
    if (strict ? v > ov : v >= ov)
        return GM_OK;
    char b[40], o[40];
    fmt_num(b, sizeof b, v);
    fmt_num(o, sizeof o, ov);
    return param_err(err, param, "expected number %s %s (%s), got %s", strict ? ">" : ">=",
                     other, o, b);
}

/* Mean and variance must be finite, or sums of samples and confidence
   intervals would be meaningless. param names the parameter to blame. */
static int need_moments(gm_err *err, const char *param, const gm_dist *d)
{
    double m = gm_dist_mean(d), v = gm_dist_var(d);
    if (isfinite(m) && isfinite(v))
        return GM_OK;
    return param_err(err, param, "parameters give a %s too large for a double",
                     isfinite(m) ? "variance" : "mean");
}

static void init(gm_dist *t, gm_dist_kind kind)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
}

int gm_dist_constant(gm_dist *d, double value, gm_err *err)
{
    int rc = need_finite(err, "value", value);
    if (rc != GM_OK)
        return rc;
    init(d, GM_DIST_CONSTANT);
    d->p[0] = value;
    return GM_OK;
}

int gm_dist_uniform(gm_dist *d, double min, double max, gm_err *err)
{
    int rc;
    if ((rc = need_finite(err, "min", min)) || (rc = need_finite(err, "max", max)) ||
        (rc = need_above(err, "max", max, "min", min, true)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_UNIFORM);
    t.p[0] = min, t.p[1] = max, t.p[2] = max - min;
    if (!isfinite(t.p[2]))
        return param_err(err, "max", "max - min is too large for a double");
    if ((rc = need_moments(err, "max", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_exponential(gm_dist *d, double mean, gm_err *err)
{
    int rc;
    if ((rc = need_positive(err, "mean", mean)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_EXPONENTIAL);
    t.p[0] = mean;
    if ((rc = need_moments(err, "mean", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_normal(gm_dist *d, double mean, double sd, gm_err *err)
{
    int rc;
    if ((rc = need_finite(err, "mean", mean)) || (rc = need_positive(err, "sd", sd)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_NORMAL);
    t.p[0] = mean, t.p[1] = sd;
    if ((rc = need_moments(err, "sd", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_truncnormal(gm_dist *d, double mean, double sd, double min, double max,
                        gm_err *err)
{
    int rc;
    if ((rc = need_finite(err, "mean", mean)) || (rc = need_positive(err, "sd", sd)))
        return rc;
    if (isnan(min) || min == HUGE_VAL)
        return need_finite(err, "min", min);
    if (isnan(max) || max == -HUGE_VAL)
        return need_finite(err, "max", max);
    if (isinf(min) && isinf(max))
        return param_err(err, "", "expected min and/or max (a bound of the variable)");
    if ((rc = need_above(err, "max", max, "min", min, true)))
        return rc;
    double al = (min - mean) / sd, be = (max - mean) / sd;
    if ((isfinite(min) && !isfinite(al)) || (isfinite(max) && !isfinite(be)))
        return param_err(err, isfinite(al) ? "max" : "min",
                         "bound is too many standard deviations from the mean");

    gm_dist t;
    init(&t, GM_DIST_TRUNCNORMAL);
    t.p[0] = min, t.p[1] = max, t.p[2] = mean, t.p[3] = sd;
    if (al < 0 && be > 0) {
        /* Straddles the mean: plain rejection while it keeps a quarter of
           the mass, else the interval is narrow (width < 0.7 sd) and the
           uniform proposal accepts at least 78%. */
        double mass = 0.5 * (erf(be * M_SQRT1_2) - erf(al * M_SQRT1_2));
        t.p[4] = 0;
        t.p[5] = mass >= 0.25 ? TN_NORMAL : TN_UNIFORM;
    } else {
        bool left = be <= 0;
        double a = left ? -be : al, b = left ? -al : be;
        t.p[3] = left ? -sd : sd;
        t.p[4] = a;
        double mass = 0.5 * (erfc(a * M_SQRT1_2) - erfc(b * M_SQRT1_2));
        double ha = hypot(a, 2); /* sqrt(a^2 + 4) without overflow */
        /* Robert's break-even width between uniform and exponential
           proposals: 2 sqrt(e) / (a + sqrt(a^2+4)) exp((a^2 - a sqrt(a^2+4))/4),
           the exponent written as -a / (a + sqrt(a^2+4)). */
        double width_max = 2 * exp(0.5) / (a + ha) * exp(-a / (a + ha));
        if (2 * mass >= 0.25 && a < 1)
            t.p[5] = TN_HALFNORMAL;
        else if (b - a < width_max)
            t.p[5] = TN_UNIFORM_TAIL;
        else
            t.p[5] = 0.5 * (a + ha); /* Robert's optimal rate */
    }
    if ((rc = need_moments(err, "sd", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

/* p[0] = mu, p[1] = sigma, p[2] = mean, p[3] = variance, p[4] = 1 when built
   from the moments (then p[5] = sd, for describe). */
static int lognormal_finish(gm_dist *d, gm_dist *t, const char *blame, gm_err *err)
{
    double s2 = t->p[1] * t->p[1];
    if (t->p[4] == 0) {
        t->p[2] = exp(t->p[0] + 0.5 * s2);
        /* (e^s2 - 1) e^(2 mu + s2), in one exp so that a large mu with a
           small sigma does not overflow on the way */
        t->p[3] = exp(2 * t->p[0] + s2 + log(expm1(s2)));
    }
    int rc = need_moments(err, blame, t);
    if (rc)
        return rc;
    *d = *t;
    return GM_OK;
}

int gm_dist_lognormal(gm_dist *d, double mu, double sigma, gm_err *err)
{
    int rc;
    if ((rc = need_finite(err, "mu", mu)) || (rc = need_positive(err, "sigma", sigma)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_LOGNORMAL);
    t.p[0] = mu, t.p[1] = sigma;
    return lognormal_finish(d, &t, "sigma", err);
}

int gm_dist_lognormal_moments(gm_dist *d, double mean, double sd, gm_err *err)
{
    int rc;
    if ((rc = need_positive(err, "mean", mean)) || (rc = need_positive(err, "sd", sd)))
        return rc;
    double cv = sd / mean;
    double s2 = log1p(cv * cv);
    if (!isfinite(s2) || !(s2 > 0))
        return param_err(err, "sd", "sd / mean must lie between 1e-150 and 1e150");
    gm_dist t;
    init(&t, GM_DIST_LOGNORMAL);
    t.p[0] = log(mean) - 0.5 * s2;
    t.p[1] = sqrt(s2);
    t.p[2] = mean;
    t.p[3] = sd * sd;
    t.p[4] = 1;
    t.p[5] = sd;
    return lognormal_finish(d, &t, "sd", err);
}

int gm_dist_gamma(gm_dist *d, double shape, double scale, gm_err *err)
{
    int rc;
    if ((rc = need_positive(err, "shape", shape)) || (rc = need_positive(err, "scale", scale)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_GAMMA);
    t.p[0] = shape, t.p[1] = scale;
    double dd = (shape < 1 ? shape + 1 : shape) - 1.0 / 3;
    t.p[2] = dd;
    t.p[3] = 1 / sqrt(9 * dd);
    t.p[4] = shape < 1 ? 1 / shape : 0;
    if (!isfinite(t.p[4]))
        return param_err(err, "shape", "expected number >= 1e-300, got a smaller one");
    if ((rc = need_moments(err, "scale", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_erlang(gm_dist *d, int64_t k, double mean, gm_err *err)
{
    int rc;
    if (k < 1 || k > (int64_t)1000000000000000LL)
        return param_err(err, "k", "expected integer in [1, 1000000000000000], got %lld",
                         (long long)k);
    if ((rc = need_positive(err, "mean", mean)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_ERLANG);
    double kd = (double)k;
    t.p[0] = kd, t.p[1] = mean, t.p[2] = mean / kd;
    t.p[3] = kd - 1.0 / 3;
    t.p[4] = 1 / sqrt(9 * t.p[3]);
    if (!(t.p[2] > 0))
        return param_err(err, "mean", "mean / k underflows");
    if ((rc = need_moments(err, "mean", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_weibull(gm_dist *d, double shape, double scale, gm_err *err)
{
    int rc;
    if ((rc = need_positive(err, "shape", shape)) || (rc = need_positive(err, "scale", scale)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_WEIBULL);
    t.p[0] = shape, t.p[1] = scale, t.p[2] = 1 / shape;
    double g1 = gm_lgamma(1 + 1 / shape), g2 = gm_lgamma(1 + 2 / shape);
    t.p[3] = scale * exp(g1);
    /* Gamma(1+2/k) - Gamma(1+1/k)^2 = Gamma(1+1/k)^2 (exp(g2 - 2 g1) - 1) */
    double sd = scale * exp(g1) * sqrt(expm1(g2 - 2 * g1));
    t.p[4] = sd * sd;
    if (!isfinite(t.p[2]))
        return param_err(err, "shape", "expected number >= 1e-300, got a smaller one");
    if ((rc = need_moments(err, "shape", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_triangular(gm_dist *d, double min, double mode, double max, gm_err *err)
{
    int rc;
    if ((rc = need_finite(err, "min", min)) || (rc = need_finite(err, "mode", mode)) ||
        (rc = need_finite(err, "max", max)) ||
        (rc = need_above(err, "mode", mode, "min", min, false)) ||
        (rc = need_above(err, "max", max, "mode", mode, false)) ||
        (rc = need_above(err, "max", max, "min", min, true)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_TRIANGULAR);
    t.p[0] = min, t.p[1] = mode, t.p[2] = max;
    if (!isfinite(max - min))
        return param_err(err, "max", "max - min is too large for a double");
    if ((rc = need_moments(err, "max", &t)))
        return rc;
    t.p[3] = (mode - min) / (max - min);
    t.p[4] = (max - min) * (mode - min);
    t.p[5] = (max - min) * (max - mode);
    *d = t;
    return GM_OK;
}

/* Shape checks shared by beta and pert: the sampler's constants. */
static double mt_c(double shape)
{
    return shape >= 1 ? 1 / sqrt(9 * (shape - 1.0 / 3)) : 0;
}

int gm_dist_beta(gm_dist *d, double alpha, double beta, double min, double max, gm_err *err)
{
    int rc;
    if ((rc = need_positive(err, "alpha", alpha)) || (rc = need_positive(err, "beta", beta)) ||
        (rc = need_finite(err, "min", min)) || (rc = need_finite(err, "max", max)) ||
        (rc = need_above(err, "max", max, "min", min, true)))
        return rc;
    if (!(alpha >= 1e-300 && alpha <= 1e300))
        return param_err(err, "alpha", "expected number in [1e-300, 1e300]");
    if (!(beta >= 1e-300 && beta <= 1e300))
        return param_err(err, "beta", "expected number in [1e-300, 1e300]");
    if (!isfinite(max - min))
        return param_err(err, "max", "max - min is too large for a double");
    gm_dist t;
    init(&t, GM_DIST_BETA);
    t.p[0] = alpha, t.p[1] = beta, t.p[2] = min, t.p[3] = max;
    t.p[4] = mt_c(alpha), t.p[5] = mt_c(beta);
    if ((rc = need_moments(err, "max", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

int gm_dist_pert(gm_dist *d, double min, double mode, double max, double lambda,
                 gm_err *err)
{
    int rc;
    if ((rc = need_finite(err, "min", min)) || (rc = need_finite(err, "mode", mode)) ||
        (rc = need_finite(err, "max", max)) || (rc = need_positive(err, "lambda", lambda)) ||
        (rc = need_above(err, "mode", mode, "min", min, false)) ||
        (rc = need_above(err, "max", max, "mode", mode, false)) ||
        (rc = need_above(err, "max", max, "min", min, true)))
        return rc;
    double w = max - min;
    if (!isfinite(w))
        return param_err(err, "max", "max - min is too large for a double");
    if (lambda > 1e300)
        return param_err(err, "lambda", "expected number in (0, 1e300]");
    gm_dist t;
    init(&t, GM_DIST_PERT);
    t.p[0] = min, t.p[1] = mode, t.p[2] = max, t.p[3] = lambda;
    t.p[4] = 1 + lambda * ((mode - min) / w);
    t.p[5] = 1 + lambda * ((max - mode) / w);
    if ((rc = need_moments(err, "max", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

#define DIST_MAX_COUNT 1e15 /* integers stay exact, with room for the samplers */

int gm_dist_poisson(gm_dist *d, double mean, gm_err *err)
{
    int rc;
    if ((rc = need_range(err, "mean", mean, 0, DIST_MAX_COUNT, false)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_POISSON);
    t.p[0] = mean;
    if (mean < POISSON_INVERT_MAX) {
        double m = floor(mean);
        t.p[1] = mean == 0 ? 1.0 : gm_gamma_q(m + 1, mean); /* F(m) */
        t.p[2] = exp(gm_poisson_logpmf(m, mean));
        t.p[3] = m;
        t.p[4] = mean == 0 ? 0.0 : 1 / mean;
    } else {
        ptrs_setup(mean, t.p);
    }
    *d = t;
    return GM_OK;
}

int gm_dist_binomial(gm_dist *d, int64_t n, double p, gm_err *err)
{
    int rc;
    if (n < 0 || n > (int64_t)DIST_MAX_COUNT)
        return param_err(err, "n", "expected integer in [0, 1000000000000000], got %lld",
                         (long long)n);
    if ((rc = need_range(err, "p", p, 0, 1, false)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_BINOMIAL);
    double nd = (double)n, pp = p <= 0.5 ? p : 1 - p; /* 1 - p exact for p >= 1/2 */
    t.p[0] = nd, t.p[1] = p, t.p[2] = pp;
    if (nd * pp < BINOMIAL_INVERT_MAX) {
        double m = fmin(floor((nd + 1) * pp), nd);
        t.p[3] = m >= nd || pp == 0 ? 1.0 : gm_beta_inc(nd - m, m + 1, 1 - pp); /* F(m) */
        t.p[4] = exp(gm_binomial_logpmf(m, nd, pp));
        t.p[5] = m;
    } else {
        btrs_setup(nd, pp, t.p);
    }
    *d = t;
    return GM_OK;
}

int gm_dist_bernoulli(gm_dist *d, double p, gm_err *err)
{
    int rc;
    if ((rc = need_range(err, "p", p, 0, 1, false)))
        return rc;
    init(d, GM_DIST_BERNOULLI);
    d->p[0] = p;
    return GM_OK;
}

int gm_dist_geometric(gm_dist *d, double p, gm_err *err)
{
    int rc;
    if ((rc = need_range(err, "p", p, 0, 1, true)))
        return rc;
    gm_dist t;
    init(&t, GM_DIST_GEOMETRIC);
    t.p[0] = p;
    t.p[1] = p == 1 ? 0.0 : -1 / log1p(-p);
    if ((rc = need_moments(err, "p", &t)))
        return rc;
    *d = t;
    return GM_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int need_count(gm_err *err, const char *param, size_t n, size_t min)
{
    if (n > GM_DIST_MAX_ENTRIES)
        return gm_err_set(err, GM_ELIMIT, param, "expected at most %d entries, got %zu",
                          GM_DIST_MAX_ENTRIES, n);
    if (n < min)
        return param_err(err, param, "expected at least %zu entries, got %zu", min, n);
    return GM_OK;
}

static int need_finite_at(gm_err *err, const char *param, size_t i, double v)
{
    if (isfinite(v))
        return GM_OK;
    char where[64];
    snprintf(where, sizeof where, "%s[%zu]", param, i);
    return need_finite(err, where, v);
}

int gm_dist_empirical_discrete(gm_dist *d, const double *values, const double *weights,
                               size_t n, gm_err *err)
{
    int rc = need_count(err, "values", n, 1);
    if (rc)
        return rc;
    if (!values || !weights)
        return param_err(err, values ? "weights" : "values", "expected an array, got NULL");
    double wmax = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = need_finite_at(err, "values", i, values[i])) ||
            (rc = need_finite_at(err, "weights", i, weights[i])))
            return rc;
        if (!(weights[i] >= 0)) {
            char where[64], b[40];
            snprintf(where, sizeof where, "weights[%zu]", i);
            fmt_num(b, sizeof b, weights[i]);
            return param_err(err, where, "expected number >= 0, got %s", b);
        }
        if (weights[i] > 0)
            kept++;
        wmax = fmax(wmax, weights[i]);
    }
    if (kept == 0)
        return param_err(err, "weights", "expected a positive sum, got 0");

    gm_dist t;
    init(&t, GM_DIST_EMPIRICAL_DISCRETE);
    t.n = kept;
    t.x = malloc(kept * sizeof *t.x);
    t.q = malloc(kept * sizeof *t.q);
    t.alias = malloc(kept * sizeof *t.alias);
    uint32_t *work = malloc(kept * sizeof *work);
    if (!t.x || !t.q || !t.alias || !work) {
        rc = gm_err_set(err, GM_ENOMEM, "values", "out of memory for %zu entries", kept);
        goto fail;
    }
    /* Weights scaled by the largest, so their sum cannot overflow; zero
       weights are dropped so that those values can never be drawn. */
    double sum = 0;
    for (size_t i = 0, j = 0; i < n; i++) {
        if (weights[i] > 0) {
            t.x[j] = values[i];
            t.q[j] = weights[i] / wmax;
            sum += t.q[j];
            j++;
        }
    }
    double mean = 0, var = 0, vmin = HUGE_VAL, vmax = -HUGE_VAL;
    for (size_t i = 0; i < kept; i++) {
        mean += t.q[i] / sum * t.x[i];
        vmin = fmin(vmin, t.x[i]);
        vmax = fmax(vmax, t.x[i]);
    }
    for (size_t i = 0; i < kept; i++) {
        double dv = t.x[i] - mean;
        var += t.q[i] / sum * dv * dv;
    }
    t.p[0] = mean, t.p[1] = var, t.p[2] = vmin, t.p[3] = vmax;
    if ((rc = need_moments(err, "values", &t)))
        goto fail;

    /* Vose's alias construction: scaled probabilities n p_i; each "small"
       (< 1) column is topped up by a "large" one. small grows from the front
       of work, large from the back. */
    size_t ns = 0, nl = 0;
    for (size_t i = 0; i < kept; i++) {
        t.q[i] = t.q[i] / sum * (double)kept;
        if (t.q[i] < 1)
            work[ns++] = (uint32_t)i;
        else
            work[kept - 1 - nl++] = (uint32_t)i;
    }
    while (ns > 0 && nl > 0) {
        uint32_t s = work[--ns];
        uint32_t l = work[kept - nl];
        t.alias[s] = l;
        /* (q_l + q_s) - 1 loses less than q_l - (1 - q_s) */
        t.q[l] = (t.q[l] + t.q[s]) - 1;
        if (t.q[l] < 1) {
            nl--;
            work[ns++] = l;
        }
    }
    /* What is left is 1 up to rounding. */
    for (size_t i = 0; i < ns; i++)
        t.q[work[i]] = 1, t.alias[work[i]] = work[i];
    for (size_t i = 0; i < nl; i++)
        t.q[work[kept - 1 - i]] = 1, t.alias[work[kept - 1 - i]] = work[kept - 1 - i];
    free(work);
    *d = t;
    return GM_OK;

fail:
    free(work);
    gm_dist_free(&t);
    return rc;
}

int gm_dist_empirical_continuous(gm_dist *d, const double *samples, size_t n, gm_err *err)
{
    int rc = need_count(err, "samples", n, 2);
    if (rc)
        return rc;
    if (!samples)
        return param_err(err, "samples", "expected an array, got NULL");
    for (size_t i = 0; i < n; i++)
        if ((rc = need_finite_at(err, "samples", i, samples[i])))
            return rc;
    gm_dist t;
    init(&t, GM_DIST_EMPIRICAL_CONTINUOUS);
    t.n = n;
    t.x = malloc(n * sizeof *t.x);
    if (!t.x)
        return gm_err_set(err, GM_ENOMEM, "samples", "out of memory for %zu entries", n);
    memcpy(t.x, samples, n * sizeof *t.x);
    qsort(t.x, n, sizeof *t.x, cmp_double);
    if (!isfinite(t.x[n - 1] - t.x[0])) {
        rc = param_err(err, "samples", "the range of the samples is too large for a double");
        goto fail;
    }
    /* Each of the n-1 segments carries mass 1/(n-1), uniform inside: the
       mean is the mean of the midpoints, the variance the mean within-segment
       variance w^2/12 plus the variance of the midpoints (two passes, so a
       large common offset costs no precision). */
    double mean = 0, var = 0, m1 = (double)(n - 1);
    for (size_t i = 0; i + 1 < n; i++)
        mean += (0.5 * t.x[i] + 0.5 * t.x[i + 1]) / m1;
    for (size_t i = 0; i + 1 < n; i++) {
        double w = t.x[i + 1] - t.x[i];
        double dm = 0.5 * t.x[i] + 0.5 * t.x[i + 1] - mean;
        var += (w * w / 12 + dm * dm) / m1;
    }
    t.p[0] = mean, t.p[1] = var;
    if ((rc = need_moments(err, "samples", &t)))
        goto fail;
    *d = t;
    return GM_OK;

fail:
    gm_dist_free(&t);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Copy and free                                                             */

void gm_dist_free(gm_dist *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->q);
    free(d->alias);
    memset(d, 0, sizeof *d);
}

int gm_dist_copy(gm_dist *dst, const gm_dist *src)
{
    gm_dist t = *src;
    t.x = NULL, t.q = NULL, t.alias = NULL;
    if (src->x && !(t.x = malloc(src->n * sizeof *t.x)))
        goto fail;
    if (src->q && !(t.q = malloc(src->n * sizeof *t.q)))
        goto fail;
    if (src->alias && !(t.alias = malloc(src->n * sizeof *t.alias)))
        goto fail;
    if (t.x)
        memcpy(t.x, src->x, src->n * sizeof *t.x);
    if (t.q)
        memcpy(t.q, src->q, src->n * sizeof *t.q);
    if (t.alias)
        memcpy(t.alias, src->alias, src->n * sizeof *t.alias);
    *dst = t;
    return GM_OK;

fail:
    gm_dist_free(&t);
    return GM_ENOMEM;
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                      */

static const char *const kind_names[] = {
    [GM_DIST_CONSTANT] = "constant",
    [GM_DIST_UNIFORM] = "uniform",
    [GM_DIST_EXPONENTIAL] = "exponential",
    [GM_DIST_NORMAL] = "normal",
    [GM_DIST_TRUNCNORMAL] = "truncated-normal",
    [GM_DIST_LOGNORMAL] = "lognormal",
    [GM_DIST_GAMMA] = "gamma",
    [GM_DIST_ERLANG] = "erlang",
    [GM_DIST_WEIBULL] = "weibull",
    [GM_DIST_TRIANGULAR] = "triangular",
    [GM_DIST_BETA] = "beta",
    [GM_DIST_PERT] = "pert",
    [GM_DIST_POISSON] = "poisson",
    [GM_DIST_BINOMIAL] = "binomial",
    [GM_DIST_BERNOULLI] = "bernoulli",
    [GM_DIST_GEOMETRIC] = "geometric",
    [GM_DIST_EMPIRICAL_DISCRETE] = "empirical-discrete",
    [GM_DIST_EMPIRICAL_CONTINUOUS] = "empirical-continuous",
};
#define NKINDS (sizeof kind_names / sizeof kind_names[0])

const char *gm_dist_kind_name(gm_dist_kind kind)
{
    return (unsigned)kind < NKINDS ? kind_names[kind] : "?";
}

/* A constructor names the parameter ("mean", "weights[3]") or nothing (the
   whole object); turn that into the full JSON path. */
static int relocate(gm_err *err, const char *path, int rc)
{
    if (!err)
        return rc;
    char param[GM_ERR_WHERE_MAX], full[GM_ERR_WHERE_MAX];
    snprintf(param, sizeof param, "%s", err->where);
    char *bracket = strchr(param, '[');
    char suffix[GM_ERR_WHERE_MAX] = "";
    if (bracket) {
        snprintf(suffix, sizeof suffix, "%s", bracket);
        *bracket = '\0';
    }
    if (param[0])
        gm_json_path_key(full, sizeof full, path, param);
    else
        snprintf(full, sizeof full, "%s", path);
    size_t len = strlen(full);
    snprintf(full + len, sizeof full - len, "%s", suffix);
    snprintf(err->where, sizeof err->where, "%s", full);
    return rc;
}

/* Error at path.key (for checks made here rather than by a constructor). */
static int key_err(gm_err *err, int code, const char *path, const char *key, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static int key_err(gm_err *err, int code, const char *path, const char *key, const char *fmt,
                   ...)
{
    char where[GM_ERR_WHERE_MAX];
    if (key)
        gm_json_path_key(where, sizeof where, path, key);
    else
        snprintf(where, sizeof where, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    gm_err_vset(err, code, where, fmt, ap);
    va_end(ap);
    return code;
}

/* Exactly one of two alternative parameters. */
static int one_of(gm_err *err, const char *path, bool has_a, const char *a, bool has_b,
                  const char *b)
{
    if (has_a && has_b)
        return key_err(err, GM_EINVAL, path, b, "give either %s or %s, not both", a, b);
    if (!has_a && !has_b)
        return key_err(err, GM_EINVAL, path, NULL, "missing required field %s or %s", a, b);
    return GM_OK;
}

/* A JSON array of numbers into a new C array (the caller frees *out). */
static int number_array(const json_t *arr, const char *path, const char *key, size_t min,
                        double **out, gm_err *err)
{
    size_t n = json_array_size(arr);
    char where[GM_ERR_WHERE_MAX];
    gm_json_path_key(where, sizeof where, path, key);
    if (n > GM_DIST_MAX_ENTRIES)
        return gm_err_set(err, GM_ELIMIT, where, "expected at most %d entries, got %zu",
                          GM_DIST_MAX_ENTRIES, n);
    if (n < min)
        return gm_err_set(err, GM_EINVAL, where, "expected at least %zu entries, got %zu", min,
                          n);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return gm_err_set(err, GM_ENOMEM, where, "out of memory for %zu entries", n);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i);
        if (!json_is_number(e)) {
            char at[GM_ERR_WHERE_MAX];
            gm_json_path_index(at, sizeof at, where, i);
            free(v);
            return gm_err_set(err, GM_EINVAL, at, "expected number, got %s",
                              gm_json_type_name(e));
        }
        v[i] = json_number_value(e);
    }
    *out = v;
    return GM_OK;
}

#define NUM(key, out, present) GM_JF_P(key, GM_JK_NUMBER, 0, out, present)
#define NUM_REQ(key, out) GM_JF(key, GM_JK_NUMBER, GM_JF_REQUIRED, out)
#define NUM_POS(key, out, present)                                                         \
    GM_JF_FULL(key, GM_JK_NUMBER, GM_JF_MIN | GM_JF_MIN_EXCL, out, present, 0, 0)
#define NUM_POS_REQ(key, out)                                                              \
    GM_JF_FULL(key, GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MIN_EXCL, out, NULL, 0, 0)
#define DIST_FIELD GM_JF("dist", GM_JK_STRING, 0, NULL)
#define UNPACK(fields) gm_json_unpack(spec, path, fields, sizeof fields / sizeof fields[0], 0, err)

/* Parse spec (already known to be of this kind) into *t; constructor errors
   carry the parameter name only, relocated by the caller. Returns 0, or an
   error with rc_unpack set when the error already has a full path. */
static int parse_kind(gm_dist_kind kind, const json_t *spec, const char *path, gm_dist *t,
                      bool *located, gm_err *err)
{
    double a = 0, b = 0, c = 0, e = 0;
    bool ha = false, hb = false, hc = false, he = false;
    int rc;
    *located = true;
    switch (kind) {
    case GM_DIST_CONSTANT: {
        gm_json_field f[] = {DIST_FIELD, NUM_REQ("value", &a)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_constant(t, a, err);
    }
    case GM_DIST_UNIFORM: {
        gm_json_field f[] = {DIST_FIELD, NUM_REQ("min", &a), NUM_REQ("max", &b)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_uniform(t, a, b, err);
    }
    case GM_DIST_EXPONENTIAL: {
        gm_json_field f[] = {DIST_FIELD, NUM_POS("mean", &a, &ha), NUM_POS("rate", &b, &hb)};
        if ((rc = UNPACK(f)) || (rc = one_of(err, path, ha, "mean", hb, "rate")))
            return rc;
        *located = false;
        if (hb) {
            if ((rc = gm_dist_exponential(t, 1 / b, err)) != GM_OK) {
                if (err)
                    snprintf(err->where, sizeof err->where, "rate");
                return rc;
            }
            t->p[1] = b; /* remembered for describe */
            return GM_OK;
        }
        return gm_dist_exponential(t, a, err);
    }
    case GM_DIST_NORMAL: {
        gm_json_field f[] = {DIST_FIELD, NUM_REQ("mean", &a), NUM_POS_REQ("sd", &b)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_normal(t, a, b, err);
    }
    case GM_DIST_TRUNCNORMAL: {
        c = -HUGE_VAL, e = HUGE_VAL;
        gm_json_field f[] = {DIST_FIELD, NUM_REQ("mean", &a), NUM_POS_REQ("sd", &b),
                             NUM("min", &c, &hc), NUM("max", &e, &he)};
        if ((rc = UNPACK(f)))
            return rc;
        if (!hc && !he)
            return key_err(err, GM_EINVAL, path, NULL, "missing required field min and/or max");
        *located = false;
        return gm_dist_truncnormal(t, a, b, c, e, err);
    }
    case GM_DIST_LOGNORMAL: {
        double mu = 0, sigma = 0;
        bool hmu = false, hsigma = false;
        gm_json_field f[] = {DIST_FIELD, NUM_POS("mean", &a, &ha), NUM_POS("sd", &b, &hb),
                             GM_JF_P("mu", GM_JK_NUMBER, 0, &mu, &hmu),
                             NUM_POS("sigma", &sigma, &hsigma)};
        if ((rc = UNPACK(f)))
            return rc;
        bool moments = ha || hb, logs = hmu || hsigma;
        if (moments && logs)
            return key_err(err, GM_EINVAL, path, hmu ? "mu" : "sigma",
                           "give either mean and sd or mu and sigma, not both");
        if (!moments && !logs)
            return key_err(err, GM_EINVAL, path, NULL,
                           "missing required fields mean and sd, or mu and sigma");
        if (moments && (!ha || !hb))
            return key_err(err, GM_EINVAL, path, ha ? "sd" : "mean",
                           "missing required field (number)");
        if (logs && (!hmu || !hsigma))
            return key_err(err, GM_EINVAL, path, hmu ? "sigma" : "mu",
                           "missing required field (number)");
        *located = false;
        return moments ? gm_dist_lognormal_moments(t, a, b, err)
                       : gm_dist_lognormal(t, mu, sigma, err);
    }
    case GM_DIST_GAMMA: {
        double shape = 0;
        bool hshape = false;
        gm_json_field f[] = {DIST_FIELD, NUM_POS("shape", &shape, &hshape),
                             NUM_POS("scale", &a, &ha), NUM_POS("rate", &b, &hb),
                             NUM_POS("mean", &c, &hc), NUM_POS("sd", &e, &he)};
        if ((rc = UNPACK(f)))
            return rc;
        if (hc || he) {
            const char *extra = hshape ? "shape" : ha ? "scale" : hb ? "rate" : NULL;
            if (extra)
                return key_err(err, GM_EINVAL, path, extra,
                               "give shape with scale or rate, or mean and sd, not both");
            if (!hc || !he)
                return key_err(err, GM_EINVAL, path, hc ? "sd" : "mean",
                               "missing required field (number)");
            *located = false;
            double cv = e / c;
            if ((rc = gm_dist_gamma(t, 1 / (cv * cv), e * cv, err)) && err)
                snprintf(err->where, sizeof err->where, "sd");
            return rc;
        }
        if (!hshape)
            return key_err(err, GM_EINVAL, path, "shape", "missing required field (number)");
        if ((rc = one_of(err, path, ha, "scale", hb, "rate")))
            return rc;
        *located = false;
        if (hb) {
            if ((rc = gm_dist_gamma(t, shape, 1 / b, err)) && err && !strcmp(err->where, "scale"))
                snprintf(err->where, sizeof err->where, "rate");
            return rc;
        }
        return gm_dist_gamma(t, shape, a, err);
    }
    case GM_DIST_ERLANG: {
        int64_t k = 0;
        gm_json_field f[] = {DIST_FIELD,
                             GM_JF_RANGE("k", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX,
                                         &k, 1, DIST_MAX_COUNT),
                             NUM_POS_REQ("mean", &a)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_erlang(t, k, a, err);
    }
    case GM_DIST_WEIBULL: {
        gm_json_field f[] = {DIST_FIELD, NUM_POS_REQ("shape", &a), NUM_POS_REQ("scale", &b)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_weibull(t, a, b, err);
    }
    case GM_DIST_TRIANGULAR: {
        gm_json_field f[] = {DIST_FIELD, NUM_REQ("min", &a), NUM_REQ("mode", &b),
                             NUM_REQ("max", &c)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_triangular(t, a, b, c, err);
    }
    case GM_DIST_BETA: {
        c = 0, e = 1;
        gm_json_field f[] = {DIST_FIELD, NUM_POS_REQ("alpha", &a), NUM_POS_REQ("beta", &b),
                             NUM("min", &c, NULL), NUM("max", &e, NULL)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_beta(t, a, b, c, e, err);
    }
    case GM_DIST_PERT: {
        e = 4;
        gm_json_field f[] = {DIST_FIELD, NUM_REQ("min", &a), NUM_REQ("mode", &b),
                             NUM_REQ("max", &c), NUM_POS("lambda", &e, NULL)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_pert(t, a, b, c, e, err);
    }
    case GM_DIST_POISSON: {
        gm_json_field f[] = {DIST_FIELD, GM_JF_RANGE("mean", GM_JK_NUMBER,
                                                     GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &a,
                                                     0, DIST_MAX_COUNT)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_poisson(t, a, err);
    }
    case GM_DIST_BINOMIAL: {
        int64_t n = 0;
        gm_json_field f[] = {
            DIST_FIELD,
            GM_JF_RANGE("n", GM_JK_INT, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &n, 0,
                        DIST_MAX_COUNT),
            GM_JF_RANGE("p", GM_JK_NUMBER, GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &a, 0, 1)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_binomial(t, n, a, err);
    }
    case GM_DIST_BERNOULLI: {
        gm_json_field f[] = {DIST_FIELD, GM_JF_RANGE("p", GM_JK_NUMBER,
                                                     GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MAX, &a,
                                                     0, 1)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_bernoulli(t, a, err);
    }
    case GM_DIST_GEOMETRIC: {
        gm_json_field f[] = {
            DIST_FIELD, GM_JF_RANGE("p", GM_JK_NUMBER,
                                    GM_JF_REQUIRED | GM_JF_MIN | GM_JF_MIN_EXCL | GM_JF_MAX, &a,
                                    0, 1)};
        if ((rc = UNPACK(f)))
            return rc;
        *located = false;
        return gm_dist_geometric(t, a, err);
    }
    case GM_DIST_EMPIRICAL_DISCRETE: {
        const json_t *jv = NULL, *jw = NULL;
        gm_json_field f[] = {DIST_FIELD,
                             GM_JF("values", GM_JK_ARRAY, GM_JF_REQUIRED, (void *)&jv),
                             GM_JF("weights", GM_JK_ARRAY, GM_JF_REQUIRED, (void *)&jw)};
        if ((rc = UNPACK(f)))
            return rc;
        double *v = NULL, *w = NULL;
        if ((rc = number_array(jv, path, "values", 1, &v, err)))
            return rc;
        if ((rc = number_array(jw, path, "weights", 0, &w, err)))
            goto ed_done;
        if (json_array_size(jw) != json_array_size(jv)) {
            rc = key_err(err, GM_EINVAL, path, "weights",
                         "expected %zu weights (one per value), got %zu", json_array_size(jv),
                         json_array_size(jw));
            goto ed_done;
        }
        *located = false;
        rc = gm_dist_empirical_discrete(t, v, w, json_array_size(jv), err);
    ed_done:
        free(v);
        free(w);
        return rc;
    }
    case GM_DIST_EMPIRICAL_CONTINUOUS: {
        const json_t *js = NULL;
        gm_json_field f[] = {DIST_FIELD,
                             GM_JF("samples", GM_JK_ARRAY, GM_JF_REQUIRED, (void *)&js)};
        if ((rc = UNPACK(f)))
            return rc;
        double *s = NULL;
        if ((rc = number_array(js, path, "samples", 2, &s, err)))
            return rc;
        *located = false;
        rc = gm_dist_empirical_continuous(t, s, json_array_size(js), err);
        free(s);
        return rc;
    }
    }
    return gm_err_set(err, GM_EINTERNAL, path, "unhandled distribution kind %d", (int)kind);
}

int gm_dist_from_json(const json_t *spec, const char *path, gm_dist *d, gm_err *err)
{
    if (!path)
        path = "";
    const char *name = ""; /* written by the unpack (required field) */
    gm_json_field f0[] = {GM_JF("dist", GM_JK_STRING, GM_JF_REQUIRED, (void *)&name)};
    int rc = gm_json_unpack(spec, path, f0, 1, GM_JSON_ALLOW_EXTRA, err);
    if (rc)
        return rc;
    size_t kind = 0;
    while (kind < NKINDS && strcmp(kind_names[kind], name) != 0)
        kind++;
    if (kind == NKINDS) {
        /* Echo at most 48 bytes of the name, cut on a character boundary
           (the string is valid UTF-8: gm_json_load_str checked). */
        size_t len = strlen(name), cut = len;
        if (cut > 48) {
            cut = 48;
            while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
                cut--;
        }
        char list[512];
        size_t o = 0;
        for (size_t i = 0; i < NKINDS; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                                  kind_names[i]);
        return key_err(err, GM_EINVAL, path, "dist",
                       "unknown distribution '%.*s%s'; expected one of: %s", (int)cut, name,
                       cut < len ? "..." : "", list);
    }
    gm_dist t;
    memset(&t, 0, sizeof t);
    bool located = true;
    rc = parse_kind((gm_dist_kind)kind, spec, path, &t, &located, err);
    if (rc) {
        if (!located)
            relocate(err, path, rc);
        return rc;
    }
    *d = t;
    return GM_OK;
}

/* ------------------------------------------------------------------------ */
/* Describe                                                                  */

typedef struct out_buf {
    char *buf;
    size_t n, len; /* len: the whole length, even past n */
} out_buf;

static void out_put(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_put(out_buf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->n ? o->n - o->len : 0;
    int w = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (w > 0)
        o->len += (size_t)w;
}

static void out_num(out_buf *o, const char *key, double v, bool first)
{
    char b[40];
    fmt_num(b, sizeof b, v);
    out_put(o, "%s%s=%s", first ? "" : ", ", key, b);
}

int gm_dist_describe(const gm_dist *d, char *buf, size_t n)
{
    out_buf o = {.buf = buf, .n = n, .len = 0};
    if (buf && n)
        buf[0] = '\0';
    const double *p = d->p;
    out_put(&o, "%s(", gm_dist_kind_name(d->kind));
    switch (d->kind) {
    case GM_DIST_CONSTANT: out_num(&o, "value", p[0], true); break;
    case GM_DIST_UNIFORM:
        out_num(&o, "min", p[0], true);
        out_num(&o, "max", p[1], false);
        break;
    case GM_DIST_EXPONENTIAL:
        if (p[1] > 0)
            out_num(&o, "rate", p[1], true);
        else
            out_num(&o, "mean", p[0], true);
        break;
    case GM_DIST_NORMAL:
        out_num(&o, "mean", p[0], true);
        out_num(&o, "sd", p[1], false);
        break;
    case GM_DIST_TRUNCNORMAL:
        out_num(&o, "mean", p[2], true);
        out_num(&o, "sd", fabs(p[3]), false);
        if (isfinite(p[0]))
            out_num(&o, "min", p[0], false);
        if (isfinite(p[1]))
            out_num(&o, "max", p[1], false);
        break;
    case GM_DIST_LOGNORMAL:
        if (p[4] != 0) {
            out_num(&o, "mean", p[2], true);
            out_num(&o, "sd", p[5], false);
        } else {
            out_num(&o, "mu", p[0], true);
            out_num(&o, "sigma", p[1], false);
        }
        break;
    case GM_DIST_GAMMA:
    case GM_DIST_WEIBULL:
        out_num(&o, "shape", p[0], true);
        out_num(&o, "scale", p[1], false);
        break;
    case GM_DIST_ERLANG:
        out_num(&o, "k", p[0], true);
        out_num(&o, "mean", p[1], false);
        break;
    case GM_DIST_TRIANGULAR:
    case GM_DIST_PERT:
        out_num(&o, "min", p[0], true);
        out_num(&o, "mode", p[1], false);
        out_num(&o, "max", p[2], false);
        if (d->kind == GM_DIST_PERT && p[3] != 4)
            out_num(&o, "lambda", p[3], false);
        break;
    case GM_DIST_BETA:
        out_num(&o, "alpha", p[0], true);
        out_num(&o, "beta", p[1], false);
        if (p[2] != 0 || p[3] != 1) {
            out_num(&o, "min", p[2], false);
            out_num(&o, "max", p[3], false);
        }
        break;
    case GM_DIST_POISSON: out_num(&o, "mean", p[0], true); break;
    case GM_DIST_BINOMIAL:
        out_num(&o, "n", p[0], true);
        out_num(&o, "p", p[1], false);
        break;
    case GM_DIST_BERNOULLI:
    case GM_DIST_GEOMETRIC: out_num(&o, "p", p[0], true); break;
    case GM_DIST_EMPIRICAL_DISCRETE:
    case GM_DIST_EMPIRICAL_CONTINUOUS: out_put(&o, "n=%zu", d->n); break;
    }
    out_put(&o, ")");
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

/* ------------------------------------------------------------------------ */
/* Hat verification (tests)                                                  */

/* The U in (-1/2, 1/2) where (2a/us + b) U reaches t: the root in (0, 1/2) of
   b U^2 - (2a + b/2 + t) U + t/2 = 0 for t > 0; odd in t. */
static double hat_u_of(double a, double b, double t)
{
    double at = fabs(t), m = 2 * a + 0.5 * b + at;
    /* smaller root, in the cancellation-free form 2c / (m + sqrt(m^2 - 4bc)) */
    double u = at / (m + sqrt(m * m - 2 * b * at));
    return t < 0 ? -u : u;
}

int num__dist_check_hat(const gm_dist *d, double *max_hat, double *min_squeeze,
                        double *max_reject)
{
    bool pois = d->kind == GM_DIST_POISSON && d->p[0] >= POISSON_INVERT_MAX;
    bool binom = d->kind == GM_DIST_BINOMIAL && d->p[0] * d->p[2] >= BINOMIAL_INVERT_MAX;
    if (!pois && !binom)
        return GM_EINVAL;
    double hat = 0, squeeze = HUGE_VAL, reject = 0;
    double n = d->p[0], pp = d->p[2];
    double a, b, shift, vr, lc, mean, sd;
    if (pois) {
        b = d->p[1], a = d->p[2], lc = d->p[3], vr = d->p[4], shift = n + 0.43;
        mean = n, sd = sqrt(n);
    } else {
        b = d->p[3], vr = d->p[4];
        a = btrs_a(b, pp);
        shift = n * pp + 0.5;
        mean = n * pp, sd = sqrt(n * pp * (1 - pp));
        /* accept iff pmf(k)/pmf(m) G' / alpha >= V: the hat constant is
           alpha pmf(m) */
        lc = log(btrs_alpha(b, n, pp)) + d->p[5];
    }
    /* The quick acceptance must never see k < 0 (the Poisson sampler tests
       it before the range check). */
    if (pois && 0.5 - fabs(hat_u_of(a, b, -shift)) >= 0.07)
        squeeze = 0;
    /* Each k owns the U interval between the points where G reaches k and
       k + 1. On it, G' = b + a/us^2 grows with |U|, so the extremes of
       pmf(k) G' / C sit at the interval's ends: the hat must hold at the
       larger |U|, the squeeze at the smaller |U| of its part with
       us >= 0.07, the quick rejection (us < 0.013) at the larger |U|.
       Beyond 60 standard deviations the pmf is below e^-1800. */
    double kmin = fmax(0, floor(mean - 60 * sd - 20));
    double kmax = floor(mean + 60 * sd + 20);
    if (binom)
        kmax = fmin(kmax, n);
    /* For very large means the ratios change by O(1/sd) from one k to the
       next: a stride keeps the check fast without missing a maximum. */
    double stride = fmax(1, floor(sd / 500));
    for (double k = kmin; k <= kmax; k += stride) {
        double u1 = hat_u_of(a, b, k - shift), u2 = hat_u_of(a, b, k + 1 - shift);
        double lp = pois ? gm_poisson_logpmf(k, n) : gm_binomial_logpmf(k, n, pp);
        double far = fmax(fabs(u1), fabs(u2));
        double near = u1 <= 0 && u2 >= 0 ? 0 : fmin(fabs(u1), fabs(u2));
        double us_min = 0.5 - far, us_max = 0.5 - near;
        double r_far = exp(lp + log(b + a / (us_min * us_min)) - lc);
        hat = fmax(hat, r_far);
        if (us_max >= 0.07) {
            double us = fmin(us_max, 0.5);
            squeeze = fmin(squeeze, exp(lp + log(b + a / (us * us)) - lc) / vr);
        }
        if (pois && us_min < 0.013)
            reject = fmax(reject, r_far / us_min);
    }
    *max_hat = hat;
    *min_squeeze = squeeze;
    *max_reject = reject;
    return GM_OK;
}
