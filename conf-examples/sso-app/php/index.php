<?php
// conf-examples/sso-app/php/index.php: the PHP application behind
// conf-examples/sso-php-cgi.conf. mod_auth_jwt has checked the token
// before PHP runs: REMOTE_USER is the user, JWT_CLAIM_roles the roles
// ("admin,staff"). PHP needs no JWT library and never sees a password.
$h = fn($s) => htmlspecialchars((string)$s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
$user = $_SERVER['REMOTE_USER'] ?? '';
$roles = array_values(array_filter(explode(',', $_SERVER['JWT_CLAIM_roles'] ?? ''), 'strlen'));
header('Cache-Control: no-store');
?>
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>SSO example (PHP)</title></head>
<body>
<h1>Hello, <span id="user"><?= $h($user) ?></span></h1>
<p>Roles: <span id="roles"><?= $h(implode(',', $roles)) ?></span></p>
<p>Token valid until <?= $h(gmdate('H:i:s', (int)($_SERVER['JWT_CLAIM_exp'] ?? 0))) ?> UTC
   (renewed automatically while you are active).</p>
<ul>
<?php if (in_array('admin', $roles, true)): ?>
  <li><a href="/app/admin/">Admin area</a></li>
<?php endif ?>
  <li><a href="/cgi/whoami.cgi">The same login, seen by a CGI program</a></li>
</ul>
<!-- A POST from our own page: the browser sends Origin, the module
     accepts it; the refresh cookie is sent along (its Path covers
     /auth/session/logout), so the whole session ends on the server. -->
<form method="post" action="/auth/session/logout"><button type="submit">Sign out</button></form>
</body>
</html>
