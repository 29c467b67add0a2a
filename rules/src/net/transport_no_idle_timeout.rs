use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};

use super::{http_literal, local_gets_call, set_later, time_q, timeout_fix};

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
    ///
    /// ## Fix safety
    /// The fix adds `IdleConnTimeout: 90 * time.Second` (the `http.DefaultTransport`
    /// value) to the literal, laid out like it: appended on a single-line literal
    /// (`&http.Transport{}` becomes `&http.Transport{IdleConnTimeout: 90 * time.Second}`),
    /// a new line with the same indentation, gofmt's alignment and a trailing comma in a
    /// literal with one field per line. `time` is named as the file names it
    /// (`stdtime.Second` for an aliased import, `Second` for a dot import), and
    /// `import "time"` is added when missing.
    ///
    /// The fix is safe: only connections that sat unused in the pool for 90 seconds are
    /// closed, and the next request to that host dials a fresh one.
    ///
    /// No fix is offered where the insertion is not mechanical: a literal with
    /// positional elements or a comment where the field would go, a layout gofmt would
    /// rewrite anyway, or a file where the name `time` is taken (shadowed at the
    /// literal, declared by the package, or `time` only blank-imported).
    pub struct TransportNoIdleTimeout {
        id: "transport-no-idle-timeout",
        family: Net,
        severity: Warning,
        summary: "An `http.Transport` without `IdleConnTimeout` keeps idle connections forever",
        kinds: ["composite_literal"],
        gate: ["net/http"],
        fix: Sometimes,
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
        let d = ctx.report_node(
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
        if let Some(fix) = timeout_fix(ctx, &h, anc, "IdleConnTimeout", 90, true) {
            d.fix(fix);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TransportNoIdleTimeout::META, &["Transport"]);
    }
}
