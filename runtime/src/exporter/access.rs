//! Access control for the exporter's routes: HTTP Basic auth (plain, bcrypt or Argon2
//! passwords), bearer tokens and an allow-list of client networks.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use base64::Engine as _;
use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use subtle::{Choice, ConstantTimeEq as _};
use tokio::sync::Semaphore;

use crate::Error;
use crate::endpoints;

/// A password for HTTP Basic auth: given in plain text, or as a bcrypt or Argon2 hash.
///
/// Hashes are recognised by their prefix: `$2a$`, `$2b$`, `$2x$`, `$2y$` are bcrypt (feature
/// `auth-bcrypt`), `$argon2id$`, `$argon2i$`, `$argon2d$` are Argon2 PHC strings (feature
/// `auth-argon2`). A hash whose feature is off, or that does not parse, makes the exporter
/// refuse to start with [`Error::InvalidAccess`].
///
/// ```
/// use promforge::exporter::Password;
///
/// let for_tests = Password::plain("s3cret");
/// // htpasswd -nbBC 10 prometheus s3cret
/// let stored = Password::hashed("$2y$10$wDdeeUF8yJ3SVTOEYaRW8uDg6nIbchPwldmRX93wnqTAbNGp0tm3C");
/// ```
///
/// Its `Debug` output never shows the password or the hash.
#[derive(Clone)]
pub struct Password(Secret);

#[derive(Clone)]
enum Secret {
    Plain(Vec<u8>),
    Hashed(String),
}

impl Password {
    /// A password kept in plain text (for tests, or when the configuration file holding it
    /// is as well protected as a hash would be).
    pub fn plain(password: impl Into<String>) -> Self {
        Self(Secret::Plain(password.into().into_bytes()))
    }

    /// A bcrypt (`$2b$…`, as `htpasswd -B` writes) or Argon2 (`$argon2id$…`) hash of the
    /// password.
    pub fn hashed(hash: impl Into<String>) -> Self {
        Self(Secret::Hashed(hash.into().trim().to_owned()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Secret::Plain(_) => f.write_str("Password::plain(<redacted>)"),
            Secret::Hashed(_) => f.write_str("Password::hashed(<redacted>)"),
        }
    }
}

/// Who may use a route of the exporter. Made with [`Access::open`] (anyone) and narrowed with
/// [`basic_auth`](Self::basic_auth), [`bearer_token`](Self::bearer_token) and
/// [`allow_network`](Self::allow_network); given to
/// [`Exporter::access`](crate::Exporter::access) or
/// [`Exporter::route_access`](crate::Exporter::route_access).
///
/// - **Credentials**: with at least one Basic user or bearer token, a request must carry
///   `Authorization: Basic …` for one of the users or `Authorization: Bearer …` with one of
///   the tokens; otherwise it is answered `401 Unauthorized` with a `WWW-Authenticate`
///   challenge for each scheme configured. Every comparison takes a time that does not depend
///   on the secret compared with.
/// - **Networks**: with at least one network, a request must come from an address inside
///   one of them; otherwise it is answered `403 Forbidden`. When every route has networks,
///   a connection from anywhere else is closed as soon as it is accepted.
/// - With both, a request must pass both.
///
/// ```
/// use promforge::exporter::{Access, Password};
///
/// let access = Access::open()
///     .basic_auth("prometheus", Password::plain("s3cret"))
///     .bearer_token("a-long-random-token")
///     .allow_network("10.0.0.0/8")
///     .allow_network("127.0.0.1");
/// ```
///
/// Hashed passwords are checked on a blocking thread, one at a time per process, and the
/// last password that matched each user is remembered, so a scraper sending the right
/// credentials does not pay for a hash every scrape, nor waits behind wrong guesses.
#[derive(Clone, Default)]
pub struct Access {
    users: Vec<(String, Password)>,
    tokens: Vec<String>,
    networks: Vec<String>,
    realm: Option<String>,
}

/// The realm named in `WWW-Authenticate` unless [`Access::realm`] says otherwise.
pub const DEFAULT_REALM: &str = "promforge";

impl Access {
    /// No restriction: anyone who can reach the port.
    pub fn open() -> Self {
        Self::default()
    }

    /// Accepts HTTP Basic auth as `user` with `password` (call again for more users).
    pub fn basic_auth(mut self, user: impl Into<String>, password: Password) -> Self {
        self.users.push((user.into(), password));
        self
    }

    /// Accepts `Authorization: Bearer <token>` (call again for more tokens). In a
    /// Prometheus scrape job: `authorization: {credentials: <token>}`.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push(token.into());
        self
    }

    /// Accepts requests from `network`, in CIDR notation (`10.0.0.0/8`, `fd00::/8`) or a
    /// single address (`127.0.0.1`, `::1`); call again for more networks. An IPv4 client
    /// connected over IPv6 (`::ffff:10.1.2.3`) is matched as IPv4. A network that does not
    /// parse makes the exporter refuse to start.
    pub fn allow_network(mut self, network: impl Into<String>) -> Self {
        self.networks.push(network.into());
        self
    }

    /// The realm named in the `WWW-Authenticate` challenge (default [`DEFAULT_REALM`]).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Whether this lets anyone in (no user, token or network set).
    pub fn is_open(&self) -> bool {
        self.users.is_empty() && self.tokens.is_empty() && self.networks.is_empty()
    }

    /// Checks every setting and prepares the comparisons.
    pub(crate) fn compile(&self) -> Result<Guard, Error> {
        let mut users = Vec::with_capacity(self.users.len());
        for (name, password) in &self.users {
            let check = match &password.0 {
                Secret::Plain(p) if p.is_empty() => {
                    return Err(invalid(format!(
                        "the password of Basic auth user `{name}` is empty"
                    )));
                }
                Secret::Plain(p) => Check::Plain(p.clone()),
                Secret::Hashed(hash) => Check::Hashed {
                    kind: HashKind::parse(hash).map_err(|reason| {
                        invalid(format!(
                            "the password hash of Basic auth user `{name}` {reason}"
                        ))
                    })?,
                    hash: hash.clone(),
                    verified: Mutex::new(None),
                },
            };
            users.push(User {
                name: name.clone().into_bytes(),
                check: Arc::new(check),
            });
        }
        let mut tokens = Vec::with_capacity(self.tokens.len());
        for token in &self.tokens {
            if token.trim().is_empty() {
                return Err(invalid("a bearer token is empty".to_owned()));
            }
            if HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
                return Err(invalid(
                    "a bearer token holds characters an HTTP header cannot carry".to_owned(),
                ));
            }
            tokens.push(token.clone().into_bytes());
        }
        let networks = self
            .networks
            .iter()
            .map(|n| n.parse::<IpNet>().map_err(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let realm = self.realm.as_deref().unwrap_or(DEFAULT_REALM);
        let quoted = realm.replace('\\', "\\\\").replace('"', "\\\"");
        let mut challenges = Vec::new();
        if !users.is_empty() {
            challenges.push(format!("Basic realm=\"{quoted}\", charset=\"UTF-8\""));
        }
        if !tokens.is_empty() {
            challenges.push(format!("Bearer realm=\"{quoted}\""));
        }
        let challenges = challenges
            .into_iter()
            .map(|c| {
                HeaderValue::from_str(&c).map_err(|_| {
                    invalid(format!(
                        "the realm `{realm}` holds characters an HTTP header cannot carry"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Guard {
            users,
            tokens,
            networks,
            challenges,
        })
    }
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field(
                "users",
                &self.users.iter().map(|(u, _)| u).collect::<Vec<_>>(),
            )
            .field("bearer_tokens", &self.tokens.len())
            .field("networks", &self.networks)
            .field("realm", &self.realm.as_deref().unwrap_or(DEFAULT_REALM))
            .finish()
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidAccess { reason }
}

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = |why: &str| format!("`{s}` is not an IP network ({why})");
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| bad("expected an address such as 10.0.0.0/8, ::1/128 or 127.0.0.1"))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad(&format!("the prefix length must be 0 to {max}")))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl IpNet {
    /// Whether `ip` is inside this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A compiled [`Access`]: what a request is checked against.
pub(crate) struct Guard {
    users: Vec<User>,
    tokens: Vec<Vec<u8>>,
    networks: Vec<IpNet>,
    challenges: Vec<HeaderValue>,
}

struct User {
    name: Vec<u8>,
    check: Arc<Check>,
}

enum Check {
    Plain(Vec<u8>),
    Hashed {
        kind: HashKind,
        hash: String,
        /// The last password that matched the hash, so that a scraper with the right
        /// credentials does not pay for a hash every scrape.
        verified: Mutex<Option<Vec<u8>>>,
    },
}

#[derive(Clone, Copy)]
enum HashKind {
    #[cfg(feature = "auth-bcrypt")]
    Bcrypt,
    #[cfg(feature = "auth-argon2")]
    Argon2,
}

impl HashKind {
    fn parse(hash: &str) -> Result<Self, String> {
        if ["$2a$", "$2b$", "$2x$", "$2y$"]
            .iter()
            .any(|p| hash.starts_with(p))
        {
            #[cfg(feature = "auth-bcrypt")]
            {
                return bcrypt::HashParts::from_str(hash)
                    .map(|_| Self::Bcrypt)
                    .map_err(|e| format!("is not a valid bcrypt hash: {e}"));
            }
            #[cfg(not(feature = "auth-bcrypt"))]
            return Err(
                "is a bcrypt hash, and promforge was built without the `auth-bcrypt` feature"
                    .to_owned(),
            );
        }
        if hash.starts_with("$argon2") {
            #[cfg(feature = "auth-argon2")]
            {
                let bad =
                    |e: &dyn std::fmt::Display| format!("is not a valid Argon2 PHC string: {e}");
                let parsed = argon2::PasswordHash::new(hash).map_err(|e| bad(&e))?;
                argon2::Algorithm::new(parsed.algorithm.as_str()).map_err(|e| bad(&e))?;
                argon2::Params::try_from(&parsed).map_err(|e| bad(&e))?;
                if parsed.salt.is_none() || parsed.hash.is_none() {
                    return Err(bad(&"it has no salt or no hash"));
                }
                return Ok(Self::Argon2);
            }
            #[cfg(not(feature = "auth-argon2"))]
            return Err(
                "is an Argon2 hash, and promforge was built without the `auth-argon2` feature"
                    .to_owned(),
            );
        }
        Err("is neither bcrypt (`$2b$…`) nor Argon2 (`$argon2id$…`)".to_owned())
    }

    /// Runs the (costly) hash comparison.
    fn verify(self, password: &[u8], hash: &str) -> bool {
        let _ = (password, hash);
        match self {
            #[cfg(feature = "auth-bcrypt")]
            Self::Bcrypt => bcrypt::verify(password, hash).unwrap_or(false),
            #[cfg(feature = "auth-argon2")]
            Self::Argon2 => {
                use argon2::PasswordVerifier as _;
                argon2::PasswordHash::new(hash).is_ok_and(|parsed| {
                    argon2::Argon2::default()
                        .verify_password(password, &parsed)
                        .is_ok()
                })
            }
        }
    }
}

/// One costly hash comparison at a time in the whole process: wrong guesses cannot take
/// more than one core.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(1));

/// What a request is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allow,
    /// Missing or wrong credentials: 401.
    Unauthorized,
    /// From an address outside the allowed networks: 403.
    Forbidden,
}

impl Guard {
    /// A guard that lets everyone in.
    pub(crate) fn is_open(&self) -> bool {
        self.users.is_empty() && self.tokens.is_empty() && self.networks.is_empty()
    }

    /// The networks this guard restricts to (empty: any).
    pub(crate) fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    /// Whether `peer` may connect at all.
    pub(crate) fn allows_peer(&self, peer: IpAddr) -> bool {
        self.networks.is_empty() || self.networks.iter().any(|n| n.contains(peer))
    }

    /// Checks a request from `peer` with `headers`.
    pub(crate) async fn check(&self, peer: IpAddr, headers: &HeaderMap) -> Verdict {
        if !self.allows_peer(peer) {
            return Verdict::Forbidden;
        }
        if self.users.is_empty() && self.tokens.is_empty() {
            return Verdict::Allow;
        }
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            // None, or more than one: ambiguous, refused.
            return Verdict::Unauthorized;
        };
        let value = value.as_bytes();
        let Some(space) = value.iter().position(|b| *b == b' ') else {
            return Verdict::Unauthorized;
        };
        let (scheme, rest) = value.split_at(space);
        let credentials = rest.trim_ascii();
        let ok = if scheme.eq_ignore_ascii_case(b"basic") && !self.users.is_empty() {
            self.check_basic(credentials).await
        } else if scheme.eq_ignore_ascii_case(b"bearer") && !self.tokens.is_empty() {
            let mut found = Choice::from(0);
            for token in &self.tokens {
                found |= ct_eq(credentials, token);
            }
            bool::from(found)
        } else {
            false
        };
        if ok {
            Verdict::Allow
        } else {
            Verdict::Unauthorized
        }
    }

    async fn check_basic(&self, encoded: &[u8]) -> bool {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return false;
        };
        let Some(colon) = decoded.iter().position(|b| *b == b':') else {
            return false;
        };
        let (name, password) = (&decoded[..colon], &decoded[colon + 1..]);
        // Look at every user, so the time taken does not tell which names exist; an unknown
        // name is checked against the first user's password and refused whatever the result.
        let mut known = Choice::from(0);
        let mut index = 0;
        for (i, user) in self.users.iter().enumerate() {
            let same = ct_eq(name, &user.name);
            index = select_index(index, i, same);
            known |= same;
        }
        let Some(user) = self.users.get(index) else {
            return false;
        };
        let matches = match &*user.check {
            Check::Plain(expected) => ct_eq(password, expected),
            Check::Hashed { .. } => Choice::from(u8::from(
                verify_hashed(Arc::clone(&user.check), password).await,
            )),
        };
        bool::from(known & matches)
    }

    /// The 401 answer, with one challenge per scheme.
    pub(crate) fn unauthorized(&self) -> Response<Bytes> {
        let mut resp = endpoints::text(StatusCode::UNAUTHORIZED, "unauthorized\n");
        for challenge in &self.challenges {
            resp.headers_mut()
                .append(header::WWW_AUTHENTICATE, challenge.clone());
        }
        resp
    }
}

/// `i` when `choose`, else `current` (indexes are small; selection without a branch).
fn select_index(current: usize, i: usize, choose: Choice) -> usize {
    let mask = 0usize.wrapping_sub(usize::from(choose.unwrap_u8()));
    (current & !mask) | (i & mask)
}

/// Compares `given` with `expected` in a time that depends only on `given`'s length.
fn ct_eq(given: &[u8], expected: &[u8]) -> Choice {
    let mut same = (given.len() as u64).ct_eq(&(expected.len() as u64));
    for (g, e) in given.iter().zip(expected.iter().cycle()) {
        same &= g.ct_eq(e);
    }
    same
}

/// Checks `password` against a hashed user's hash: the remembered password when it is
/// the same, else a hash comparison on a blocking thread, one at a time in the process.
async fn verify_hashed(check: Arc<Check>, password: &[u8]) -> bool {
    let Check::Hashed { verified, .. } = &*check else {
        return false;
    };
    let remembered = |verified: &Mutex<Option<Vec<u8>>>| {
        verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .is_some_and(|p| bool::from(ct_eq(password, p)))
    };
    if remembered(verified) {
        return true;
    }
    let Ok(permit) = HASHING.acquire().await else {
        return false;
    };
    // Another request may have verified the same password while this one waited.
    if remembered(verified) {
        return true;
    }
    let password = password.to_vec();
    let worker = Arc::clone(&check);
    let outcome = tokio::task::spawn_blocking(move || {
        // Held until the hash is done, even when the request waiting for it gives up.
        let _permit = permit;
        let Check::Hashed {
            kind,
            hash,
            verified,
        } = &*worker
        else {
            return false;
        };
        let ok = kind.verify(&password, hash);
        if ok {
            *verified.lock().unwrap_or_else(PoisonError::into_inner) = Some(password);
        }
        ok
    })
    .await;
    outcome.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().expect("network")
    }

    #[test]
    fn networks() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert!(net("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!net("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(
            net("10.1.2.3/8").contains(ip("10.9.9.9")),
            "host bits are masked"
        );
        assert!(net("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!net("0.0.0.0/0").contains(ip("::1")));
        assert!(net("127.0.0.1").contains(ip("127.0.0.1")));
        assert!(!net("127.0.0.1").contains(ip("127.0.0.2")));
        assert!(net("127.0.0.0/8").contains(ip("::ffff:127.0.0.1")));
        assert!(net("::ffff:127.0.0.1").contains(ip("127.0.0.1")));
        assert!(net("::1").contains(ip("::1")));
        assert!(net("fd00::/8").contains(ip("fd12::1")));
        assert!(!net("fd00::/8").contains(ip("fe80::1")));
        assert!(net("::/0").contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x",
            "10.0.0.0/-1",
            "10.0.0.0/",
        ] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn constant_time_equality() {
        assert!(bool::from(ct_eq(b"secret", b"secret")));
        assert!(!bool::from(ct_eq(b"secreT", b"secret")));
        assert!(!bool::from(ct_eq(b"secretsecret", b"secret")));
        assert!(!bool::from(ct_eq(b"sec", b"secret")));
        assert!(!bool::from(ct_eq(b"", b"secret")));
        assert!(bool::from(ct_eq(b"", b"")));
        assert_eq!(select_index(0, 3, Choice::from(1)), 3);
        assert_eq!(select_index(2, 3, Choice::from(0)), 2);
    }

    #[test]
    fn bad_settings_are_errors() {
        let err = |a: Access| a.compile().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(Access::open().basic_auth("u", Password::plain(""))).contains("empty"));
        assert!(err(Access::open().bearer_token(" ")).contains("empty"));
        assert!(err(Access::open().bearer_token("a\nb")).contains("header"));
        assert!(err(Access::open().allow_network("10/8")).contains("`10/8`"));
        assert!(
            err(Access::open().basic_auth("u", Password::hashed("md5:abc")))
                .contains("neither bcrypt")
        );
        assert!(
            err(Access::open()
                .basic_auth("u", Password::plain("p"))
                .realm("a\nb"))
            .contains("realm")
        );
        assert!(Access::open().compile().is_ok_and(|g| g.is_open()));
    }

    #[test]
    fn debug_hides_secrets() {
        let a = Access::open()
            .basic_auth("u", Password::plain("hunter2"))
            .bearer_token("tok3n");
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok3n"),
            "{shown}"
        );
    }
}
