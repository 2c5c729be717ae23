<?php
// A moved endpoint: 302 to items.php, query kept.
require __DIR__ . '/_lib.php';
record_hit();
header('Location: items.php?' . $_SERVER['QUERY_STRING'], true, 302);
