//! Staff access in kiosk mode: a PIN unlocks leaving the kiosk (and, later, its settings). The
//! config stores only an argon2id hash of it (a PHC string, salted); `markid-kiosk hash-pin`
//! makes one. Wrong PINs lock the pad for a while, so that a customer cannot try them all.

mod flow;

pub use flow::{
    JournalView, SaveProblem, SettingsDraft, StaffAction, StaffEffect, StaffFlow, StaffInput,
    StaffNotice, StaffScreen,
};

use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest and longest PIN.
pub const PIN_DIGITS: std::ops::RangeInclusive<usize> = 4..=12;
/// Wrong PINs in a row before the pad locks.
pub const MAX_FAILURES: u32 = 5;
/// How long it stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(60);

/// Why a PIN or a hash is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not 4 to 12 digits.
    #[error("a PIN is 4 to 12 digits (0-9)")]
    BadPin,
    /// The config's hash is not an argon2id PHC string.
    #[error("not a PIN hash from `markid-kiosk hash-pin` (an $argon2id$ string): {0}")]
    BadHash(String),
}

fn check_pin(pin: &str) -> Result<(), PinError> {
    if PIN_DIGITS.contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PinError::BadPin)
    }
}

/// The argon2id hash of `pin` with a fresh random salt, as a PHC string.
pub fn hash_pin(pin: &str) -> Result<String, PinError> {
    check_pin(pin)?;
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| PinError::BadHash(e.to_string()))?;
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PinError::BadHash(e.to_string()))
}

/// Checks that `hash` is an argon2id PHC string (for config validation).
pub fn check_hash(hash: &str) -> Result<(), PinError> {
    let parsed = PasswordHash::new(hash).map_err(|e| PinError::BadHash(e.to_string()))?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(PinError::BadHash(format!(
            "algorithm {}, argon2id expected",
            parsed.algorithm
        )));
    }
    Ok(())
}

/// Whether `pin` matches `hash`.
pub fn verify_pin(pin: &str, hash: &str) -> bool {
    check_pin(pin).is_ok()
        && PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        })
}

/// Counts wrong PINs and locks the pad after `MAX_FAILURES` in a row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinGuard {
    failures: u32,
    locked_until: Option<Instant>,
}

/// The outcome of one PIN entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinOutcome {
    /// Right PIN: staff mode.
    Unlocked,
    /// Wrong PIN; this many tries left before the lock.
    Wrong {
        /// Tries left.
        tries_left: u32,
    },
    /// Too many wrong PINs: wait this long.
    Locked {
        /// Time left.
        wait: Duration,
    },
}

impl PinGuard {
    /// While the pad is locked: the time left.
    pub fn locked_for(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .filter(|until| now < *until)
            .map(|until| until - now)
    }

    /// While the pad is locked: when the shown wait (whole seconds) next changes, the last
    /// time at the lock's end, so that the app wakes to show it and then that the pad is open.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.locked_until
            .filter(|until| now < *until)
            .map(|until| crate::flow::next_whole_second_before(until, now))
    }

    /// Checks `pin` against `hash` at `now`, unless the pad is locked.
    pub fn enter(&mut self, pin: &str, hash: &str, now: Instant) -> PinOutcome {
        if let Some(until) = self.locked_until {
            if now < until {
                return PinOutcome::Locked { wait: until - now };
            }
            self.locked_until = None;
            self.failures = 0;
        }
        if verify_pin(pin, hash) {
            self.failures = 0;
            return PinOutcome::Unlocked;
        }
        self.failures += 1;
        if self.failures >= MAX_FAILURES {
            self.locked_until = Some(now + LOCKOUT);
            return PinOutcome::Locked { wait: LOCKOUT };
        }
        PinOutcome::Wrong {
            tries_left: MAX_FAILURES - self.failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_pin_verifies_and_others_do_not() {
        let hash = hash_pin("2468").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(check_hash(&hash).is_ok());
        assert!(verify_pin("2468", &hash));
        assert!(!verify_pin("2469", &hash));
        assert!(!verify_pin("", &hash));
        assert_ne!(
            hash_pin("2468").unwrap(),
            hash,
            "salted: a new hash each time"
        );
        assert_eq!(hash_pin("12a4"), Err(PinError::BadPin));
        assert_eq!(hash_pin("123"), Err(PinError::BadPin));
        assert!(check_hash("2468").is_err());
        assert!(!verify_pin("2468", "not a hash"));
    }

    #[test]
    fn five_wrong_pins_lock_the_pad_for_a_minute() {
        let hash = hash_pin("2468").unwrap();
        let mut guard = PinGuard::default();
        let start = Instant::now();
        for tries_left in (1..MAX_FAILURES).rev() {
            assert_eq!(
                guard.enter("0000", &hash, start),
                PinOutcome::Wrong { tries_left }
            );
        }
        assert_eq!(
            guard.enter("0000", &hash, start),
            PinOutcome::Locked { wait: LOCKOUT }
        );
        // Even the right PIN waits out the lock.
        assert!(matches!(
            guard.enter("2468", &hash, start + Duration::from_secs(30)),
            PinOutcome::Locked { .. }
        ));
        // The app wakes each second of the lock to show the wait, and at its end.
        let during = start + Duration::from_millis(59_500);
        assert_eq!(guard.locked_for(during), Some(Duration::from_millis(500)));
        assert_eq!(guard.next_deadline(during), Some(start + LOCKOUT));
        assert_eq!(
            guard.next_deadline(start + Duration::from_millis(1_200)),
            Some(start + Duration::from_secs(2))
        );
        assert_eq!(guard.locked_for(start + LOCKOUT), None);
        assert_eq!(guard.next_deadline(start + LOCKOUT), None);
        assert_eq!(
            guard.enter("2468", &hash, start + LOCKOUT),
            PinOutcome::Unlocked
        );
    }
}
