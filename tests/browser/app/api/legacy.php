<?php
// The PHP origin filter of the legacy app, as it was pasted from a Q&A site:
//   if (!preg_match('@\.partner\.domain\.com$@', $_SERVER['HTTP_ORIGIN'])) die(...);
// Here the pattern comes from PARTNER_PATTERN (SetEnv), the very string that mod_cors'
// CORSAllowOriginMatch is given.
require __DIR__ . '/_lib.php';
record_hit();
if (!empty($_SERVER['HTTP_ORIGIN'])) {
    // Uh oh, this XHR comes from outer space...
    if (!preg_match($_SERVER['PARTNER_PATTERN'], $_SERVER['HTTP_ORIGIN'])) {
        die("End of the road if you're not my business partner.");
    }
    // otherwise oblige
    header("Access-Control-Allow-Origin: " . $_SERVER['HTTP_ORIGIN']);
}
reply(200, ['legacy' => true, 'items' => [['id' => 1, 'name' => 'first']]]);
