// Origin maps, the httpd side: CORSOriginMap (txt:, dbm:, dbd:), CORSOriginMapCache
// and CORSAllowOriginMap; the per-server configuration that holds the maps, and the
// per-request oracle through which the decision asks them (engine/origin_map.hpp).
#pragma once

#include "httpd.h"
#include "http_config.h"

#include "engine/decision.hpp"
#include "engine/origin_map.hpp"

#include <string>
#include <vector>

namespace cors_maps {

// The names a scope's CORSAllowOriginMap lists (pool-owned, immutable once read).
struct AllowList;

// The directives. CORSAllowOriginMap appends to `list` (created in cmd->pool).
const char* allow_origin_map(cmd_parms* cmd, AllowList*& list, const char* name);
const char* set_origin_map(cmd_parms* cmd, void*, const char* name, const char* source);
const char* set_origin_map_cache(cmd_parms* cmd, void*, const char* seconds);

void* create_server_config(apr_pool_t* p, server_rec* s);
void* merge_server_config(apr_pool_t* p, void* base, void* add);

// The maps `s` knows (its own and those it inherits), by name: for -D DUMP_CORS.
struct MapSource {
    std::string name;
    std::string source;   // "txt:/path", "dbm=db:/path", "dbd:SELECT ..."
    std::string where;    // "file:line" of the CORSOriginMap
};
std::vector<MapSource> map_sources(server_rec* s);

// Hooks of their own: the start-up checks of CORSAllowOriginMap and the maps' set-up.
void register_hooks(apr_pool_t* p);

// The maps of one request's scope, as the decision asks them. Construct it on the
// stack next to the Policy: it sets policy.maps when the scope lists maps.
class RequestOracle final : public cors::OriginOracle {
public:
    RequestOracle(request_rec* r, const AllowList* list, cors::Policy& policy) noexcept;
    cors::MapAnswer lookup(const cors::Origin& origin, std::string_view& unavailable) const noexcept override;
    bool lists_serialised(std::string_view text, std::size_t hash, cors::Origin& out) const noexcept override;

private:
    request_rec* r_;
    const AllowList* list_;
};

}  // namespace cors_maps
