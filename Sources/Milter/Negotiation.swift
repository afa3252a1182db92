import CMilter

/// What this milter answers in `xxfi_negotiate`.
struct NegotiatedOptions: Equatable {
    /// SMFIF_* actions requested (`*pf0`).
    var actions: UInt
    /// SMFIP_* protocol flags requested (`*pf1`).
    var steps: UInt
    /// Whether to call `smfi_setsymlist` for the configured stages.
    var requestsMacros: Bool
}

/// Stages the milter never looks at. The DATA stage is deliberately *not* here: when a milter skips it,
/// Postfix still writes the DATA macros (expecting no reply) and its next write waits out a ~40 ms
/// delayed ACK on an inet socket; answering DATA keeps the dialogue in strict request/reply turns.
/// Skipped headers, EOH and body cost nothing: Postfix then sends neither those events nor macros.
let skippedSteps = UInt(SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN)

/// Stages the MTA sends without waiting for an answer: connect, HELO and MAIL, which sessions only observe
/// (``MilterSession``). Postfix then sends them together with the first RCPT.
let noReplySteps = UInt(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL)

/// Computes the answer to the MTA's offer.
///
/// libmilter semantics (engine.c, st_optionneg): returning SMFIS_CONTINUE makes `*pf0`/`*pf1`
/// the whole request, replacing the flags libmilter derived from NULL callbacks; requesting an action
/// or a step flag the MTA did not offer aborts the connection (libmilter itself only forgives
/// SMFIP_NODATA and SMFIP_NOUNKNOWN). Hence every skip bit is masked with what was offered.
///
/// The `noReplySteps` are requested whatever the offer: libmilter adds every NR bit to the offer it shows the
/// callback, and for an MTA without one it answers continue itself when the callback returns SMFIS_NOREPLY. So the
/// connect, HELO and MAIL callbacks can always return SMFIS_NOREPLY; were a bit missing from the request, that would
/// leave the MTA waiting for an answer that never comes.
func negotiatedOptions(offeredActions: UInt, offeredSteps: UInt, wantsMacros: Bool) -> NegotiatedOptions {
    let symbolLists = UInt(SMFIF_SETSYMLIST)
    let canRequestMacros = wantsMacros && (offeredActions & symbolLists) != 0
    return NegotiatedOptions(
        actions: canRequestMacros ? symbolLists : 0,
        steps: (skippedSteps & offeredSteps) | noReplySteps,
        requestsMacros: canRequestMacros
    )
}
