<?php
// Dies with a fatal error: PHP answers 500.
ini_set('display_errors', '0');
header('Content-Type: text/plain');
undefined_function_for_mod_cors_tests();
