use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};

use super::{http_literal, qualifier, set_later, time_q, timeout_fix};

declare_rule! {
    /// ## What it does
    /// Flags an `http.Server{...}` literal that sets neither `ReadHeaderTimeout` nor
    /// `ReadTimeout` (unless one of them is assigned later on the same variable, or by
    /// the same-package function the literal is passed to), and calls of
    /// `http.ListenAndServe`, `http.ListenAndServeTLS`, `http.Serve` and `http.ServeTLS`,
    /// which serve with a zero-value `http.Server`. `_test.go` files are not checked.
    ///
    /// ## Why is this bad?
    /// With no read timeout the server waits as long as a client likes for its request
    /// headers. A client that opens connections and sends a header byte now and then
    /// (Slowloris) holds a goroutine and a file descriptor per connection; a few
    /// thousand of them exhaust the server while using almost no bandwidth.
    ///
    /// ## Example
    /// ```go,want
    /// func main() {
    ///     srv := &http.Server{Addr: ":8080", Handler: mux()}
    ///     log.Fatal(srv.ListenAndServe())
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func main() {
    ///     srv := &http.Server{
    ///         Addr:              ":8080",
    ///         Handler:           mux(),
    ///         ReadHeaderTimeout: 10 * time.Second,
    ///     }
    ///     log.Fatal(srv.ListenAndServe())
    /// }
    /// ```
    ///
    /// ## Fix safety
    /// On a `http.Server{...}` literal, the fix adds `ReadHeaderTimeout: 10 *
    /// time.Second`, laid out like the literal: `http.Server{}` becomes
    /// `http.Server{ReadHeaderTimeout: 10 * time.Second}`, a single-line literal gets it
    /// appended, a literal with one field per line gets a new aligned line with a
    /// trailing comma. `time` is named as the file names it (aliased or dot import), and
    /// `import "time"` is added when missing.
    ///
    /// The fix is safe: it bounds only the time a client may take to send its request
    /// headers, not handlers, request bodies or responses (the header deadline is lifted
    /// once the headers are read). A client that needs more than 10 seconds for its
    /// headers is disconnected, which is the point. On older Go releases (1.19) the
    /// header timer also runs while a keep-alive connection waits for its next request,
    /// so with neither `IdleTimeout` nor `ReadTimeout` set, idle keep-alive connections
    /// close after 10 seconds and clients dial again.
    ///
    /// Calls of `http.ListenAndServe`, `http.ListenAndServeTLS`, `http.Serve` and
    /// `http.ServeTLS` get no fix: there is no literal to edit, and the rewrite to an
    /// `http.Server` is the author's.
    ///
    /// No fix is offered where the insertion is not mechanical: a literal with
    /// positional elements or a comment where the field would go, a layout gofmt would
    /// rewrite anyway, or a file where the name `time` is taken (shadowed at the
    /// literal, declared by the package, or `time` only blank-imported).
    pub struct ServerNoTimeouts {
        id: "server-no-timeouts",
        family: Net,
        severity: Warning,
        summary: "An `http.Server` without `ReadHeaderTimeout` or `ReadTimeout` is open to slow clients",
        kinds: ["composite_literal", "call_expression"],
        gate: ["net/http"],
        fix: Sometimes,
        version_gated: false,
        skip_test_files: true,
    }
}

const FIELDS: [&str; 2] = ["ReadHeaderTimeout", "ReadTimeout"];

impl Rule for ServerNoTimeouts {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, node: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        if ctx.kind_str(node) == "call_expression" {
            let Some(name) = ctx.call_to(
                node,
                anc,
                "net/http",
                &["ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS"],
            ) else {
                return;
            };
            let http = qualifier(ctx, "net/http").unwrap_or_default();
            let t = time_q(ctx);
            let f = ctx.text(name);
            ctx.report_node(
                name,
                format!(
                    "`{http}{f}` serves with a zero-value `http.Server`, which has no timeouts: a client \
                     that sends its request headers slowly (Slowloris) holds a connection and a \
                     goroutine for as long as it likes"
                ),
            )
            .label("no read timeouts")
            .help(format!(
                "create `srv := &{http}Server{{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * {t}Second}}` \
                 and call `srv.{f}(...)` instead"
            ));
            return;
        }
        let Some(h) = http_literal(ctx, node, anc, "Server") else {
            return;
        };
        if FIELDS.iter().any(|f| h.has(f)) || set_later(ctx, node, anc, &FIELDS) {
            return;
        }
        let t = time_q(ctx);
        let d = ctx.report_node(
            h.type_name,
            format!(
                "`{}Server` sets neither `ReadHeaderTimeout` nor `ReadTimeout`: a client that sends \
                 its request headers slowly (Slowloris) holds a connection and a goroutine for as \
                 long as it likes",
                h.http
            ),
        )
        .label("no read timeouts")
        .help(format!(
            "set `ReadHeaderTimeout: 10 * {t}Second` (and consider `ReadTimeout`, `WriteTimeout` \
             and `IdleTimeout`)"
        ));
        if let Some(fix) = timeout_fix(ctx, &h, anc, "ReadHeaderTimeout", 10, true) {
            d.fix(fix);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(
            &super::ServerNoTimeouts::META,
            &["Server", "ListenAndServe", "Serve"],
        );
    }
}
