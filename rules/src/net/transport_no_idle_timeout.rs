use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};

use super::{http_literal, local_gets_call, set_later, time_q};

declare_rule! {
    /// ## What it does
    /// Flags an `http.Transport{...}` composite literal (with or without `&`) that sets
    /// no `IdleConnTimeout`, unless the same variable's `IdleConnTimeout` is assigned
    /// later in the function (or, for a package variable, anywhere in the package), or
    /// the literal is handed to a same-package function that sets it.
    ///
    /// Not flagged: a literal that sets `DisableKeepAlives: true` (no idle pool), a
    /// one-off transport whose function calls its `CloseIdleConnections()`,
    /// `http.DefaultTransport.(*http.Transport).Clone()` (keeps the default 90 s), and
    /// `_test.go` files.
    ///
    /// ## Why is this bad?
    /// A zero `IdleConnTimeout` means "keep idle keep-alive connections forever". The
    /// pool then holds a connection to every host the program ever talked to, and keeps
    /// connections that NATs, firewalls and load balancers have long since dropped:
    /// file descriptors leak on long-running services, and requests fail on stale
    /// connections.
    ///
    /// ## Example
    /// ```go,want
    /// var client = &http.Client{
    ///     Timeout:   30 * time.Second,
    ///     Transport: &http.Transport{MaxIdleConnsPerHost: 32},
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// var client = &http.Client{
    ///     Timeout: 30 * time.Second,
    ///     Transport: &http.Transport{
    ///         MaxIdleConnsPerHost: 32,
    ///         IdleConnTimeout:     90 * time.Second,
    ///     },
    /// }
    /// ```
    pub struct TransportNoIdleTimeout {
        id: "transport-no-idle-timeout",
        family: Net,
        severity: Warning,
        summary: "An `http.Transport` without `IdleConnTimeout` keeps idle connections forever",
        kinds: ["composite_literal"],
        fix: None,
        version_gated: false,
        skip_test_files: true,
    }
}

impl Rule for TransportNoIdleTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, lit: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some(h) = http_literal(ctx, lit, anc, "Transport") else {
            return;
        };
        if h.has("IdleConnTimeout") || h.value_text(ctx, "DisableKeepAlives") == Some("true") {
            return;
        }
        if set_later(ctx, lit, anc, &["IdleConnTimeout", "DisableKeepAlives"]) {
            return;
        }
        // A one-off transport emptied by the function itself.
        if local_gets_call(ctx, lit, anc, "CloseIdleConnections") {
            return;
        }
        let t = time_q(ctx);
        ctx.report_node(
            h.type_name,
            format!(
                "`{}Transport` without `IdleConnTimeout` never closes idle keep-alive connections: \
                 they pile up per host and outlive what NATs and load balancers keep open",
                h.http
            ),
        )
        .label("no IdleConnTimeout")
        .help(format!(
            "set `IdleConnTimeout: 90 * {t}Second` (the `http.DefaultTransport` value), or start \
             from `{}DefaultTransport.(*{}Transport).Clone()`",
            h.http, h.http
        ));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TransportNoIdleTimeout::META, &["Transport"]);
    }
}
