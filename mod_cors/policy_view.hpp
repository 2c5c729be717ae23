// What each scope of the main configuration really gets: the scopes as httpd read them,
// what each sets and inherits and from where, the checks on the merged policy, the
// silent no-ops, CORSStrict, and `apachectl -t -D DUMP_CORS`.
#pragma once

#include "glue.hpp"

namespace cors_glue {

struct DirConfig;

// Called for every CORS directive of the main configuration as httpd reads it (.htaccess
// files, read per request, never reach it): notes the scope, its section and the line.
void note_directive(cmd_parms* cmd, DirConfig* c);

// CORSStrict On|Off (server config, virtual host).
extern "C" const char* set_strict(cmd_parms* cmd, void*, int on);

// pre_config: a new configuration is being read.
void view_pre_config(apr_pool_t* pconf);

// check_config: the checks of every scope on what it inherits. Warnings are printed under
// `apachectl -t` (as httpd read them, backslashes unescaped); errors (and warnings under
// CORSStrict On) fail the configuration. Returns OK or an HTTP error status.
int view_check(apr_pool_t* ptemp, server_rec* s);

// post_config of a real start: the warnings and one summary line per enabled scope.
void view_log(server_rec* s);

// test_config: `apachectl -t -D DUMP_CORS`.
void view_dump(apr_pool_t* pconf, server_rec* s);

}  // namespace cors_glue
