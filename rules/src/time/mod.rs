//! The time family: tickers and timers that are never stopped.

mod tick_leak;
mod ticker_loop_no_exit;
mod ticker_not_stopped;
mod time_after_in_loop;

pub use tick_leak::TickLeak;
pub use ticker_loop_no_exit::TickerLoopNoExit;
pub use ticker_not_stopped::TickerNotStopped;
pub use time_after_in_loop::TimeAfterInLoop;

use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::engine::Ctx;
use crate::flow::{local_type_name, outermost_func};
use crate::sema::LocalDecl;
use crate::syntax;

/// What kind of timer value an expression denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerChan {
    /// The `C` of a `*time.Ticker`.
    Ticker,
    /// The channel of `time.Tick(d)`.
    Tick,
}

/// Whether `expr` (with ancestors `anc`) is a ticker's channel: `t.C` for a ticker `t`,
/// `time.NewTicker(d).C`, `time.Tick(d)`, or a variable holding `time.Tick(d)`.
pub(crate) fn ticker_channel<'a>(
    ctx: &Ctx<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
) -> Option<TimerChan> {
    let expr = syntax::unparen(expr);
    match expr.kind_str() {
        "call_expression" => ctx
            .call_to(expr, anc, "time", &["Tick"])
            .map(|_| TimerChan::Tick),
        "selector_expression" => {
            if syntax::selector_field(expr, ctx.src()) != Some("C") {
                return None;
            }
            let operand = syntax::unparen(expr.field(F.operand)?);
            let mut chain = anc.to_vec();
            chain.push(expr);
            is_ticker(ctx, operand, &chain).then_some(TimerChan::Ticker)
        }
        "identifier" => {
            // A variable holding `time.Tick(d)`: only the names the file binds to a
            // `Tick` call are worth resolving.
            if !ctx.binds_to_call(ctx.text(expr), "Tick") {
                return None;
            }
            let LocalDecl::Local {
                value: Some(value), ..
            } = ctx.resolve(expr, anc)?
            else {
                return None;
            };
            let value = syntax::unparen(value);
            if value.kind_str() != "call_expression" {
                return None;
            }
            let (fi, f) = outermost_func(anc)?;
            let value_anc = ctx.ancestors_within(&anc[..fi], f, value);
            ctx.call_to(value, &value_anc, "time", &["Tick"])
                .map(|_| TimerChan::Tick)
        }
        _ => None,
    }
}

/// Whether `expr` is a `*time.Ticker`: `time.NewTicker(d)`, a local initialised with it,
/// or a variable, parameter or field declared as `*time.Ticker`.
pub(crate) fn is_ticker<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>]) -> bool {
    let expr = syntax::unparen(expr);
    match expr.kind_str() {
        "call_expression" => ctx.call_to(expr, anc, "time", &["NewTicker"]).is_some(),
        "identifier" => match ctx.resolve(expr, anc) {
            Some(decl) => {
                if let Some(ty) = decl.type_node() {
                    return type_is_ticker(ctx, ty);
                }
                let LocalDecl::Local {
                    value: Some(value), ..
                } = decl
                else {
                    return false;
                };
                let value = syntax::unparen(value);
                if value.kind_str() != "call_expression" {
                    return false;
                }
                let Some((fi, f)) = outermost_func(anc) else {
                    return false;
                };
                let value_anc = ctx.ancestors_within(&anc[..fi], f, value);
                ctx.call_to(value, &value_anc, "time", &["NewTicker"])
                    .is_some()
            }
            None => ctx
                .pkg
                .vars
                .get(ctx.text(expr))
                .and_then(|v| v.ty.as_ref())
                .is_some_and(|t| t.is("time", "Ticker")),
        },
        "selector_expression" => {
            // `s.ticker` where the owner's struct type declares the field as *time.Ticker.
            let Some(field) = syntax::selector_field(expr, ctx.src()) else {
                return false;
            };
            let Some(operand) = expr.field(F.operand) else {
                return false;
            };
            let mut chain = anc.to_vec();
            chain.push(expr);
            match local_type_name(ctx, operand, &chain) {
                Some(ty) => ctx
                    .pkg
                    .field_type(&ty, field)
                    .is_some_and(|t| t.is("time", "Ticker")),
                None => false,
            }
        }
        _ => false,
    }
}

fn type_is_ticker(ctx: &Ctx<'_>, ty: Node<'_>) -> bool {
    crate::index::TypeRef::from_node(ty, ctx.src(), ctx.imports()).is("time", "Ticker")
}
