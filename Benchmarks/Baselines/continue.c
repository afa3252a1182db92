/* The cost of libmilter itself: RelayGuard's negotiation and callbacks, each answering continue (nothing where
 * RelayGuard leaves a stage unanswered). */
#include "baseline-main.h"

static sfsistat baseline_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)ctx; (void)host; (void)addr;
    return SMFIS_NOREPLY;
}
static sfsistat baseline_helo(SMFICTX *ctx, char *name) { (void)ctx; (void)name; return SMFIS_NOREPLY; }
static sfsistat baseline_envfrom(SMFICTX *ctx, char **argv) { (void)ctx; (void)argv; return SMFIS_NOREPLY; }
static sfsistat baseline_envrcpt(SMFICTX *ctx, char **argv) { (void)ctx; (void)argv; return SMFIS_CONTINUE; }
static sfsistat baseline_close(SMFICTX *ctx) { (void)ctx; return SMFIS_CONTINUE; }

int main(int argc, char **argv) { return baseline_main("continue-baseline", argc, argv); }
