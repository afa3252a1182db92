/* What both C baselines share with RelayGuard's Milter target: the same negotiation (Sources/Milter/Negotiation.swift:
 * skip headers, EOH, body and unknown commands; no reply at connect, HELO and MAIL; request only the macros the policy
 * reads, via smfi_setsymlist) and the same registered callbacks (connect, helo, envfrom, envrcpt, data, eom, abort,
 * close, negotiate), so the MTA sends both the same packets and waits for the same answers. Each baseline defines the
 * callbacks named in baseline_description(); connect, helo and envfrom return SMFIS_NOREPLY.
 * Usage: ./baseline inet:PORT@127.0.0.1 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sfsistat baseline_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                                   unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
                                   unsigned long *pf3)
{
    (void)f2; (void)f3;
    int macros = (f0 & SMFIF_SETSYMLIST) != 0;
    if (macros) {
        smfi_setsymlist(ctx, SMFIM_CONNECT, "{client_addr} {daemon_addr}");
        smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen} i");
        smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
    }
    *pf0 = macros ? SMFIF_SETSYMLIST : 0;
    /* libmilter offers every no-reply bit, answering continue itself for an MTA without one. */
    *pf1 = ((SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN) & f1)
           | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat baseline_connect(SMFICTX *, char *, _SOCK_ADDR *);
static sfsistat baseline_helo(SMFICTX *, char *);
static sfsistat baseline_envfrom(SMFICTX *, char **);
static sfsistat baseline_envrcpt(SMFICTX *, char **);
static sfsistat baseline_close(SMFICTX *);

/* DATA is answered so that Postfix waits for a reply there (see DESIGN.md, the Nagle trap). */
static sfsistat baseline_continue(SMFICTX *ctx) { (void)ctx; return SMFIS_CONTINUE; }

static int baseline_main(const char *name, int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s inet:PORT@127.0.0.1\n", argv[0]);
        return 64;
    }
    struct smfiDesc description = {
        .xxfi_name = (char *)name,
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_NONE,
        .xxfi_connect = baseline_connect,
        .xxfi_helo = baseline_helo,
        .xxfi_envfrom = baseline_envfrom,
        .xxfi_envrcpt = baseline_envrcpt,
        .xxfi_eom = baseline_continue,
        .xxfi_abort = baseline_continue,
        .xxfi_close = baseline_close,
        .xxfi_data = baseline_continue,
        .xxfi_negotiate = baseline_negotiate,
    };
    if (smfi_register(description) == MI_FAILURE || smfi_setconn(argv[1]) == MI_FAILURE ||
        smfi_opensocket(1) == MI_FAILURE) {
        fprintf(stderr, "%s: cannot listen on %s\n", name, argv[1]);
        return 70;
    }
    fprintf(stderr, "%s listening on %s\n", name, argv[1]);
    return smfi_main() == MI_SUCCESS ? 0 : 70;
}
