<?php
// Directory index: reached through mod_dir's internal redirect.
require __DIR__ . '/env.php';
