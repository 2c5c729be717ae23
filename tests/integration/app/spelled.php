<?php
// An application that writes its own CORS headers in whatever spelling it likes:
// ?h[]=name: value (each line sent as written), ?status=N.
foreach ($_GET['h'] ?? [] as $line) {
    header($line, false);
}
http_response_code((int)($_GET['status'] ?? 200));
header('Content-Type: text/plain');
echo "spelled\n";
