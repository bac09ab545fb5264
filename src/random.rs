//! A small, fixed random source (xorshift): the same seed gives the same
//! sequence everywhere, so generated cases and picture variants repeat
//! exactly.

pub struct Random(pub u64);

impl Random {
    /// Uniform in 0..1.
    pub fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Roughly normal, mean 0, deviation 1.
    pub fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.uniform()).sum::<f32>() * 1.732 - 3.464
    }
}
