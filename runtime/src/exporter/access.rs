//! Access control for the exporter's routes: HTTP Basic auth (plain, bcrypt or Argon2
//! passwords), bearer tokens and an allow-list of client networks.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use base64::Engine as _;
use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use subtle::{Choice, ConstantTimeEq as _};
use tokio::sync::Semaphore;

use crate::endpoints;
use crate::error::Error;

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
/// Hashed passwords are checked on a blocking thread, one at a time per process (a request
/// finding [`MAX_WAITING_FOR_HASH`] others waiting for a hash is answered `503` at once),
/// and the last password that matched each user is remembered after a full success, so a
/// scraper sending the right credentials does not pay for a hash every scrape, nor waits
/// behind wrong guesses.
///
/// The time a refusal takes tells nothing about which user names exist: the name is found
/// first, comparing it with every user's in constant time; the remembered password is
/// consulted only for the user so found; and when any user has a hashed password, every
/// check that is not a remembered success costs one hash: an unknown name (and a user with
/// a plain password) is checked against a dummy hash with the parameters of the first
/// hashed user, as Prometheus' exporter-toolkit does.
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
                Secret::Hashed(hash) => Check::Hashed(Hash {
                    kind: HashKind::parse(hash).map_err(|reason| {
                        invalid(format!(
                            "the password hash of Basic auth user `{name}` {reason}"
                        ))
                    })?,
                    hash: Arc::from(hash.as_str()),
                }),
            };
            users.push(User {
                name: name.clone().into_bytes(),
                check,
                remembered: Mutex::new(None),
            });
        }
        // Checked instead of a hash for unknown names and plain passwords, when some user
        // has a hashed password: the same cost as that user's.
        let dummy = users.iter().find_map(|u| match &u.check {
            Check::Hashed(hash) => Some(hash.dummy()),
            Check::Plain(_) => None,
        });
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
            dummy,
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
    /// When some user has a hashed password: what unknown names and plain passwords are
    /// hashed against, so that every check costs the same.
    dummy: Option<Hash>,
    tokens: Vec<Vec<u8>>,
    networks: Vec<IpNet>,
    challenges: Vec<HeaderValue>,
}

struct User {
    name: Vec<u8>,
    check: Check,
    /// The last password that passed the whole check for this user (when checks cost a
    /// hash), so that a scraper with the right credentials does not pay for a hash every
    /// scrape.
    remembered: Mutex<Option<Vec<u8>>>,
}

impl User {
    /// Whether `password` is the remembered one (constant time in the password).
    fn remembers(&self, password: &[u8]) -> Choice {
        let remembered = self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match remembered.as_deref() {
            Some(p) => ct_eq(password, p),
            None => {
                // The same work, against nothing that can match.
                let _ = ct_eq(password, b"");
                Choice::from(0)
            }
        }
    }

    fn remember(&self, password: &[u8]) {
        *self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(password.to_vec());
    }
}

enum Check {
    Plain(Vec<u8>),
    Hashed(Hash),
}

/// A password hash and its kind.
#[derive(Clone)]
struct Hash {
    kind: HashKind,
    hash: Arc<str>,
}

/// What the dummy bcrypt hash is made of after its cost: the salt and hash of
/// `fakepassword` (exporter-toolkit's dummy).
#[cfg(feature = "auth-bcrypt")]
const BCRYPT_DUMMY_TAIL: &str = "QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

impl Hash {
    /// A hash with the same parameters (so the same cost) that no password is known to
    /// match; this hash itself when one cannot be made.
    fn dummy(&self) -> Hash {
        let made = self.kind.dummy_of(&self.hash);
        Hash {
            kind: self.kind,
            hash: made.map_or_else(|| Arc::clone(&self.hash), Arc::from),
        }
    }
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

    /// A hash of this kind with the parameters of `hash` that no password is known to
    /// match (`None` when it cannot be made).
    fn dummy_of(self, hash: &str) -> Option<String> {
        let _ = hash;
        match self {
            #[cfg(feature = "auth-bcrypt")]
            Self::Bcrypt => {
                // `$2b$10$` + 53 characters of salt and hash.
                let prefix = hash.get(..hash.len().saturating_sub(53))?;
                let dummy = format!("{prefix}{BCRYPT_DUMMY_TAIL}");
                bcrypt::HashParts::from_str(&dummy).ok().map(|_| dummy)
            }
            #[cfg(feature = "auth-argon2")]
            Self::Argon2 => {
                let parsed = argon2::PasswordHash::new(hash).ok()?;
                let len = parsed.hash.map_or(32, |h| h.len());
                let mut dummy = parsed;
                dummy.salt =
                    Some(argon2::password_hash::Salt::from_b64("ZHVtbXlkdW1teWR1bW15").ok()?);
                dummy.hash = Some(argon2::password_hash::Output::new(&vec![0u8; len]).ok()?);
                Some(dummy.to_string())
            }
        }
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

/// How many requests may wait for a password hash (in the whole process) before further
/// ones are answered `503` without one: a flood of wrong passwords cannot hold every
/// serving slot of the exporter.
pub const MAX_WAITING_FOR_HASH: usize = 64;

static WAITING_FOR_HASH: AtomicUsize = AtomicUsize::new(0);

/// A place among the requests waiting for (or running) a hash.
struct HashTurn;

impl HashTurn {
    fn take() -> Option<Self> {
        let before = WAITING_FOR_HASH.fetch_add(1, Ordering::SeqCst);
        if before >= MAX_WAITING_FOR_HASH {
            WAITING_FOR_HASH.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self)
    }
}

impl Drop for HashTurn {
    fn drop(&mut self) {
        WAITING_FOR_HASH.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the `Authorization` header of a request holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// `Basic` with a user name and a password (decoded; any bytes).
    Basic {
        /// Up to the first `:`.
        name: Vec<u8>,
        /// After the first `:`.
        password: Vec<u8>,
    },
    /// `Bearer` and its token (trimmed).
    Bearer(&'a [u8]),
    /// Anything else: another scheme, no credentials, base64 that does not decode, no `:`.
    Invalid,
}

/// Parses one `Authorization` value. The scheme is case-insensitive; `Basic` credentials
/// must be standard base64 (with padding) of `name:password`.
pub(crate) fn parse_authorization(value: &[u8]) -> Credentials<'_> {
    let Some(space) = value.iter().position(|b| *b == b' ') else {
        return Credentials::Invalid;
    };
    let (scheme, rest) = value.split_at(space);
    let credentials = rest.trim_ascii();
    if scheme.eq_ignore_ascii_case(b"basic") {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credentials) else {
            return Credentials::Invalid;
        };
        let Some(colon) = decoded.iter().position(|b| *b == b':') else {
            return Credentials::Invalid;
        };
        Credentials::Basic {
            name: decoded[..colon].to_vec(),
            password: decoded[colon + 1..].to_vec(),
        }
    } else if scheme.eq_ignore_ascii_case(b"bearer") && !credentials.is_empty() {
        Credentials::Bearer(credentials)
    } else {
        Credentials::Invalid
    }
}

/// What a request is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allow,
    /// Missing or wrong credentials: 401.
    Unauthorized,
    /// From an address outside the allowed networks: 403.
    Forbidden,
    /// Too many requests waiting for a password hash: 503, at once.
    Busy,
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
        let ok = match parse_authorization(value.as_bytes()) {
            Credentials::Basic { name, password } if !self.users.is_empty() => {
                match self.check_basic(&name, &password).await {
                    Some(ok) => ok,
                    None => return Verdict::Busy,
                }
            }
            Credentials::Bearer(credentials) if !self.tokens.is_empty() => {
                let mut found = Choice::from(0);
                for token in &self.tokens {
                    found |= ct_eq(credentials, token);
                }
                bool::from(found)
            }
            _ => false,
        };
        if ok {
            Verdict::Allow
        } else {
            Verdict::Unauthorized
        }
    }

    /// Whether `name` and `password` are a user's; `None` when too many requests wait for
    /// a hash already.
    // Without a hash feature no `Hash` exists, and what follows the dummy is unreachable.
    #[cfg_attr(
        not(any(feature = "auth-bcrypt", feature = "auth-argon2")),
        allow(unused_variables, unreachable_code)
    )]
    async fn check_basic(&self, name: &[u8], password: &[u8]) -> Option<bool> {
        // The name first, compared with every user's, so the time taken does not tell
        // which names exist.
        let mut known = Choice::from(0);
        let mut index = 0;
        for (i, user) in self.users.iter().enumerate() {
            let same = ct_eq(name, &user.name);
            index = select_index(index, i, same);
            known |= same;
        }
        let user = self.users.get(index)?;
        let Some(dummy) = &self.dummy else {
            // Plain passwords only: one comparison, the same for every name (an unknown
            // name is compared with the first user's password and refused whatever).
            let Check::Plain(expected) = &user.check else {
                return Some(false);
            };
            return Some(bool::from(known & ct_eq(password, expected)));
        };
        // Only a known user's remembered password, and only after a full success.
        if bool::from(known & user.remembers(password)) {
            return Some(true);
        }
        // One hash whatever the name: the user's own, or the dummy (same parameters) for an
        // unknown name or a plain password.
        let target = match (&user.check, bool::from(known)) {
            (Check::Hashed(hash), true) => hash.clone(),
            _ => dummy.clone(),
        };
        // Another request may have passed with the same password while this one waited.
        let remembered = || bool::from(known & user.remembers(password));
        let hashed_ok = verify_hashed(target, password, remembered).await?;
        let ok = bool::from(known)
            && match &user.check {
                Check::Hashed(_) => hashed_ok,
                Check::Plain(expected) => bool::from(ct_eq(password, expected)),
            };
        if ok {
            user.remember(password);
        }
        Some(ok)
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

/// Checks `password` against `hash` on a blocking thread, one at a time in the process
/// (`true` without a hash when `remembered` says so once it is this request's turn);
/// `None` when [`MAX_WAITING_FOR_HASH`] requests wait for a hash already.
async fn verify_hashed(hash: Hash, password: &[u8], remembered: impl Fn() -> bool) -> Option<bool> {
    let turn = HashTurn::take()?;
    let Ok(permit) = HASHING.acquire().await else {
        return Some(false);
    };
    if remembered() {
        return Some(true);
    }
    let password = password.to_vec();
    let outcome = tokio::task::spawn_blocking(move || {
        // Held until the hash is done, even when the request waiting for it gives up.
        let _permit = permit;
        let _turn = turn;
        hash.kind.verify(&password, &hash.hash)
    })
    .await;
    Some(outcome.unwrap_or(false))
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

/// Properties of the `Authorization` parser over untrusted input.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_value_parses_without_panicking(value in prop::collection::vec(any::<u8>(), 0..96)) {
            let _ = parse_authorization(&value);
        }

        #[test]
        fn any_text_after_a_scheme_parses_without_panicking(
            scheme in prop_oneof![Just("Basic"), Just("bearer"), Just("BASIC"), Just("Digest")],
            rest in "\\PC{0,64}",
        ) {
            let _ = parse_authorization(format!("{scheme} {rest}").as_bytes());
        }

        #[test]
        fn basic_credentials_read_back(
            name in prop::collection::vec(any::<u8>().prop_filter("no colon", |b| *b != b':'), 0..24),
            password in prop::collection::vec(any::<u8>(), 0..48),
            scheme in prop_oneof![Just("Basic"), Just("basic"), Just("BASIC")],
            spaces in " {1,3}",
        ) {
            let mut raw = name.clone();
            raw.push(b':');
            raw.extend_from_slice(&password);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&raw);
            let value = format!("{scheme}{spaces}{encoded}");
            prop_assert_eq!(
                parse_authorization(value.as_bytes()),
                Credentials::Basic { name, password }
            );
        }

        #[test]
        fn bearer_tokens_read_back(token in "[A-Za-z0-9._~+/=-]{1,40}") {
            let value = format!("Bearer {token}");
            prop_assert_eq!(
                parse_authorization(value.as_bytes()),
                Credentials::Bearer(token.as_bytes())
            );
        }
    }
}
