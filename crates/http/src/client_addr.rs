//! The client's address, the same for the log-in throttle, the request log and the audit
//! trail: the TCP peer, unless the peer is a trusted proxy. Behind trusted proxies the client
//! is the right-most address in `X-Forwarded-For` (or `Forwarded`) that is not itself a trusted
//! proxy: every proxy appends the address it saw, so everything to the right of the first
//! untrusted entry was written by a proxy we trust, and everything to its left may be the
//! client's invention. A peer that is not trusted has its forwarding headers ignored.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use actix_web::{web, HttpMessage, HttpRequest};
use std::net::IpAddr;

/// Addresses and CIDR blocks of the proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpBlock>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpBlock {
    network: IpAddr,
    prefix: u8,
}

impl IpBlock {
    fn parse(raw: &str) -> Option<Self> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().ok()?)),
            None => (raw, None),
        };
        let network = addr.parse::<IpAddr>().ok()?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
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

impl TrustedProxies {
    /// Parses `server.trusted_proxies`: addresses (`10.0.0.5`, `::1`) and CIDR blocks
    /// (`10.0.0.0/8`).
    ///
    /// # Errors
    /// Names the first entry that is neither.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|raw| {
                let raw = raw.as_ref().trim();
                IpBlock::parse(raw).ok_or_else(|| {
                    format!("server.trusted_proxies: '{raw}' is not an IP address or CIDR block")
                })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|block| block.contains(ip))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut hops = forwarded_for(headers);
        let mut nearest = peer;
        // Right to left: the nearest hop first.
        while let Some(hop) = hops.pop() {
            match hop {
                Some(ip) if self.trusts(ip) => nearest = ip,
                Some(ip) => return ip,
                // Not an address: written by the client, not by a proxy of ours. The nearest
                // trusted hop is as far as anything can be believed.
                None => return nearest,
            }
        }
        nearest
    }
}

/// The hops the forwarding headers list, left to right (`None` for one that is no address).
/// `X-Forwarded-For` when present (what nginx and most balancers write), else RFC 7239's
/// `Forwarded`. Repeated headers are read in order, as one list.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(|hop| {
            hop.trim()
                .parse::<IpAddr>()
                .ok()
                .map(|ip| ip.to_canonical())
        })
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all("forwarded")
        .flat_map(|v| v.to_str().unwrap_or("for=?").split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for").then(|| node_addr(value))
            })
        })
        .collect()
}

/// The address of a `Forwarded` node: `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"`.
fn node_addr(value: &str) -> Option<IpAddr> {
    let node = value.trim().trim_matches('"');
    let host = match node.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => node.split_once(':').map_or(node, |(host, _)| host),
    };
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The client's address, worked out once per request by the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Works out the client's address of `req` and keeps it on the request for the handlers.
pub(crate) fn resolve(req: &ServiceRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let client = match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) => trusted.client(peer, req.headers()),
        None => peer.to_canonical(),
    };
    req.extensions_mut().insert(ClientAddr(client));
    Some(client)
}

/// The client's address of a request, as the request log worked it out.
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    if let Some(ClientAddr(ip)) = req.extensions().get::<ClientAddr>() {
        return Some(*ip);
    }
    let peer = req.peer_addr()?.ip();
    Some(match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) => trusted.client(peer, req.headers()),
        None => peer.to_canonical(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().expect("an address")
    }

    #[test]
    fn entries_parse_as_addresses_or_blocks_and_garbage_is_named() {
        let trusted =
            TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8", "fd00::/8"]).expect("valid");
        assert!(trusted.trusts(ip("10.200.3.4")));
        assert!(trusted.trusts(ip("127.0.0.1")));
        assert!(trusted.trusts(ip("::ffff:127.0.0.1")));
        assert!(trusted.trusts(ip("fd12::1")));
        assert!(!trusted.trusts(ip("11.0.0.1")));
        assert!(!trusted.trusts(ip("127.0.0.2")));
        for bad in ["10.0.0/8", "10.0.0.0/33", "nginx", ""] {
            let err = TrustedProxies::parse(&[bad]).expect_err(bad);
            assert!(err.contains(&format!("'{bad}'")), "{err}");
        }
        assert!(TrustedProxies::parse(&["0.0.0.0/0"])
            .expect("all")
            .trusts(ip("8.8.8.8")));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(none.client(ip("9.9.9.9"), &h), ip("9.9.9.9"));
        let some = TrustedProxies::parse(&["10.0.0.0/8"]).expect("valid");
        assert_eq!(some.client(ip("9.9.9.9"), &h), ip("9.9.9.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8"]).expect("valid");
        let peer = ip("10.0.0.1");
        // The client wrote a fake first entry; nginx appended the real address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4")]);
        assert_eq!(trusted.client(peer, &h), ip("1.2.3.4"));
        // Two proxies of ours in a row.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 10.0.0.7")]);
        assert_eq!(trusted.client(peer, &h), ip("1.2.3.4"));
        // Repeated headers are one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "1.2.3.4"),
        ]);
        assert_eq!(trusted.client(peer, &h), ip("1.2.3.4"));
        // No header: the proxy itself is all we know.
        assert_eq!(trusted.client(peer, &HeaderMap::new()), peer);
        // Junk where a proxy would have written an address: stop at the nearest trusted hop.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, junk, 10.0.0.9")]);
        assert_eq!(trusted.client(peer, &h), ip("10.0.0.9"));
    }

    #[test]
    fn the_forwarded_header_is_read_when_there_is_no_x_forwarded_for() {
        let trusted = TrustedProxies::parse(&["127.0.0.1"]).expect("valid");
        let peer = ip("127.0.0.1");
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::1]:4711\";proto=https",
        )]);
        assert_eq!(trusted.client(peer, &h), ip("2001:db8::1"));
        let h = headers(&[("forwarded", "for=\"1.2.3.4:80\"")]);
        assert_eq!(trusted.client(peer, &h), ip("1.2.3.4"));
        let h = headers(&[("forwarded", "by=127.0.0.1;For=5.6.7.8")]);
        assert_eq!(trusted.client(peer, &h), ip("5.6.7.8"));
    }
}
