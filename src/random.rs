//! The random numbers of a run: one xoshiro256++ generator per (seed, path, stream) and one
//! SplitMix64 generator per (seed, path, parameter), so a path's numbers depend on nothing
//! else (not the thread count, the chunk, the shard or the CPU).

use rand::Rng as _;
use rand::SeedableRng;
use rand_xoshiro::{SplitMix64, Xoshiro256PlusPlus};

/// The generator of each path's streams: xoshiro256++, a named, portable algorithm.
pub type PathRng = Xoshiro256PlusPlus;

/// The generator of one parameter's draw on one path: SplitMix64, whose whole state is its
/// 64-bit key, so a path's ~20 parameter streams cost one hash each to start (a parameter
/// needs a few numbers, where xoshiro's 256-bit state would cost four).
pub type ParameterRng = SplitMix64;

/// The random streams of a path besides its parameters' own ([`parameter_rng`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Every shock (adoption, sectors, assets) and the failure times.
    Boom = 0,
    /// The standard normals of the `[[correlate]]` copula.
    Copula = 1,
    /// The market factor's shocks and crashes (`[market]`): a stream of its own, so a model
    /// whose every beta is 0 gives the outputs of the same model without a market.
    Market = 2,
}

/// Mixed into the seed of [`Stream::Market`]'s key: the boom and copula streams keep the keys
/// they always had, and the market's cannot meet them (its key is another seed's).
const MARKET_SALT: u64 = 0x4d41_524b_4554_2121;

/// The generator of one path's stream, a function of (seed, path, stream) only.
///
/// The key `mix(seed) XOR (2 * path + stream)` is distinct for every (path, stream) of one
/// seed; it is mixed again and expanded to xoshiro's 256-bit state by SplitMix64.
#[inline]
pub fn path_rng(seed: u64, path: u64, stream: Stream) -> PathRng {
    let mut bytes = [0u8; 32];
    for (word, s) in bytes
        .chunks_exact_mut(8)
        .zip(path_state(seed, path, stream))
    {
        word.copy_from_slice(&s.to_le_bytes());
    }
    PathRng::from_seed(bytes)
}

/// The xoshiro256++ state words (s0, s1, s2, s3) of [`path_rng`]: the engine runs eight of
/// them side by side, one per lane.
#[inline]
pub fn path_state(seed: u64, path: u64, stream: Stream) -> [u64; 4] {
    let key = match stream {
        Stream::Boom | Stream::Copula => mix64(mix64(seed) ^ ((path << 1) | stream as u64)),
        Stream::Market => mix64(mix64(seed ^ MARKET_SALT) ^ (path << 1)),
    };
    let mut splitmix = SplitMix64::seed_from_u64(key);
    std::array::from_fn(|_| splitmix.next_u64())
}

/// The generator of one parameter's draw on one path: a function of (seed, path, the
/// parameter's key path) only. Every parameter has its own stream, so changing one
/// parameter's distribution (or making it a constant) changes no other draw, and scenarios
/// of a sweep share every other random number.
#[inline]
pub fn parameter_rng(seed: u64, path: u64, parameter: u64) -> ParameterRng {
    ParameterKey::new(seed, parameter).rng(path)
}

/// The part of a parameter's stream key that depends on (seed, parameter) only: computed once
/// for many paths, so each path's [`parameter_rng`] costs one hash instead of three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParameterKey(u64);

impl ParameterKey {
    /// The key of parameter `parameter` ([`parameter_id`]) in a run with seed `seed`.
    #[inline]
    pub fn new(seed: u64, parameter: u64) -> Self {
        ParameterKey(mix64(seed ^ mix64(parameter)))
    }

    /// The parameter's generator on path `path`: [`parameter_rng`]`(seed, path, parameter)`.
    #[inline]
    pub fn rng(self, path: u64) -> ParameterRng {
        SplitMix64::seed_from_u64(mix64(self.0 ^ path))
    }

    /// The first 64-bit word of [`Self::rng`] on each of N paths at once (all a parameter's
    /// draw needs about 99% of the time): plain loops of constant trip count, which vectorise.
    /// SplitMix64's step is written out here because the crate's runs one generator at a time;
    /// a test holds it to the crate's.
    #[inline(always)]
    pub fn first_words<const N: usize>(self, paths: &[u64; N]) -> [u64; N] {
        let mut words = [0; N];
        for (word, &path) in words.iter_mut().zip(paths) {
            *word = splitmix_first(mix64(self.0 ^ path));
        }
        words
    }
}

/// The first output of SplitMix64 started at `state` (Steele, Lea and Flood 2014; what
/// `rand_xoshiro::SplitMix64::next_u64` returns first).
#[inline(always)]
fn splitmix_first(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A stable 64-bit identity of a parameter's key path (FNV-1a).
pub fn parameter_id(key_path: &str) -> u64 {
    key_path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A bijective 64-bit finaliser (MurmurHash3's fmix64).
#[inline(always)]
fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn path_streams_equal_xoshiros_own_seed_from_u64() {
        // path_state is the state xoshiro's seed_from_u64 builds from the mixed key.
        for (seed, path) in [(0, 0), (1, 42), (u64::MAX, 7)] {
            let key = mix64(mix64(seed) ^ (path << 1));
            let (mut ours, mut theirs) = (
                path_rng(seed, path, Stream::Boom),
                PathRng::seed_from_u64(key),
            );
            for _ in 0..8 {
                assert_eq!(ours.next_u64(), theirs.next_u64());
            }
        }
    }

    #[test]
    fn path_streams_depend_only_on_seed_path_and_stream() {
        let a = path_rng(1, 5, Stream::Boom).next_u64();
        assert_eq!(a, path_rng(1, 5, Stream::Boom).next_u64());
        assert_ne!(a, path_rng(1, 6, Stream::Boom).next_u64());
        assert_ne!(a, path_rng(1, 5, Stream::Copula).next_u64());
        let id = parameter_id("adoption.ceiling");
        assert_ne!(id, parameter_id("adoption.rate"));
        let p = parameter_rng(1, 5, id).next_u64();
        assert_eq!(p, parameter_rng(1, 5, id).next_u64());
        assert_ne!(p, parameter_rng(1, 6, id).next_u64());
        assert_ne!(
            p,
            parameter_rng(1, 5, parameter_id("adoption.rate")).next_u64()
        );
        assert_ne!(a, path_rng(2, 5, Stream::Boom).next_u64());
    }

    #[test]
    fn first_words_are_each_parameter_generators_first() {
        let mut words = path_rng(9, 0, Stream::Boom);
        for _ in 0..1000 {
            let key = ParameterKey(words.next_u64());
            let paths: [u64; 16] = std::array::from_fn(|_| words.next_u64());
            let firsts = key.first_words(&paths);
            for (&path, first) in paths.iter().zip(firsts) {
                assert_eq!(first, key.rng(path).next_u64());
            }
        }
    }

    #[test]
    fn value_stability_of_the_stream() {
        // Pins the generators: a change here changes every published result. (The parameter
        // streams became SplitMix64 with the lane-per-path kernel, issue 15.)
        assert_eq!(
            path_rng(1, 0, Stream::Boom).next_u64(),
            0xb51f_835d_850a_8ab5
        );
        let ceiling = parameter_id("adoption.ceiling");
        assert_eq!(
            parameter_rng(1, 0, ceiling).next_u64(),
            0xac01_8839_73a2_3b10
        );
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(1), 0xb456_bcfc_34c2_cb2c);
    }
}
