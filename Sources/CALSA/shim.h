#include <alsa/asoundlib.h>

/* libasound prints its own diagnostics ("ALSA lib confmisc.c:855: cannot find card '0'") to
   stderr before it returns an error code, which Proscore reports with what to do. */
static void proscore_alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline void proscore_alsa_quiet_errors(void) { snd_lib_error_set_handler(proscore_alsa_silent); }
