<?php
// Dies with a PHP fatal error: the 500 is made by PHP, not by the script.
require __DIR__ . '/_lib.php';
record_hit();
ini_set('display_errors', '0');
header('Content-Type: application/json');
call_to_an_undefined_function();
