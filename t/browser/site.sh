# t/browser/site.sh: sourced by t/browser/run. Writes the site under test
# into the state directory $S: $S/site.conf (included by httpd.conf), the
# PHP application, its admin area, the CGI program and the login page.
# Uses S, FPORT, XPORT, BASE, AJWT_ACCESS_TTL, AJWT_LEEWAY and the *_PATH variables.

cat >"$S/site.conf" <<CONF
# The other origin: plain pages, no authentication.
<VirtualHost 127.0.0.1:$XPORT>
    ServerName localhost
    DocumentRoot "$S/other"
    <Directory "$S/other">
        Require all granted
    </Directory>
</VirtualHost>

DocumentRoot "$S/htdocs"
DirectoryIndex index.php index.html
ScriptAlias /cgi-bin/ "$S/cgi-bin/"

# Issuing and verifying, for the whole site: every handler and every
# protected page must agree on the key, cookies and paths.
<Location "/">
    AuthJWTSignKey "$S/keys/sign.pem" ES256 browser-1
    AuthJWTAccessTTL $AJWT_ACCESS_TTL
    AuthJWTLeeway $AJWT_LEEWAY
    AuthJWTLoginProvider file
    AuthUserFile "$S/users.htpasswd"
    AuthJWTRoleFile "$S/roles"
    AuthJWTCookie jwt
    AuthJWTRefreshCookie jwt_refresh /auth/refresh
    AuthJWTLoginURL $LOGIN_PATH
</Location>

<Directory "$S/htdocs">
    Require all granted
</Directory>

<Location "/auth/login">
    SetHandler jwt-login
</Location>
<Location "/auth/refresh">
    SetHandler jwt-refresh
</Location>
<Location "/auth/logout">
    SetHandler jwt-logout
</Location>

<LocationMatch "^/(app|cgi-bin)/">
    AuthType jwt
    AuthName "app"
    Require valid-jwt
    AuthzSendForbiddenOnFailure On
</LocationMatch>
<Location "/app/admin/">
    Require jwt-role admin
</Location>

<Directory "$S/cgi-bin">
    Options +ExecCGI
</Directory>
<FilesMatch "\\.php\$">
    SetHandler "proxy:fcgi://127.0.0.1:$FPORT"
</FilesMatch>
CONF

cat >"$S/htdocs/login.php" <<'PHP'
<?php
// The login page: a plain form, no JavaScript. The address to come back
// to rides along in a hidden field (jwt-login checks it is local).
header('Cache-Control: no-store');
$ret = $_GET['return'] ?? '/app/';
?><!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
<form method="post" action="/auth/login">
  <input type="hidden" name="return"
         value="<?= htmlspecialchars($ret, ENT_QUOTES) ?>">
  <label>User name <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password"
         autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>
</body></html>
PHP

cat >"$S/htdocs/app/index.php" <<'PHP'
<?php
// The application: who is this, and may they see the admin area?
header('Cache-Control: no-store');
$h = fn($s) => htmlspecialchars($s ?? '', ENT_QUOTES);
?><!DOCTYPE html>
<html><head><meta charset="utf-8"><title>App</title></head>
<body>
<h1>App</h1>
<p>Signed in as <b id="user"><?= $h($_SERVER['REMOTE_USER'] ?? '') ?></b>
   with roles <b id="roles"><?= $h($_SERVER['JWT_CLAIM_roles'] ?? '') ?></b>.</p>
<p><a href="/app/admin/">Admin area</a></p>
<?php if ($_SERVER['REQUEST_METHOD'] === 'POST'): ?>
<p>Saved: <b id="saved"><?= $h($_POST['note'] ?? '') ?></b></p>
<?php endif; ?>
<form method="post" action="/app/index.php">
  <input name="note"> <button type="submit" id="save">Save</button>
</form>
<form method="post" action="/auth/logout">
  <button type="submit" id="logout">Sign out</button>
</form>
</body></html>
PHP

cat >"$S/htdocs/app/admin/index.php" <<'PHP'
<?php
header('Cache-Control: no-store');
?><!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Admin</title></head>
<body><h1>Admin area</h1>
<p>Admin <b id="user"><?= htmlspecialchars($_SERVER['REMOTE_USER'] ?? '') ?></b>.</p>
</body></html>
PHP

cat >"$S/cgi-bin/whoami.cgi" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\nCache-Control: no-store\r\n\r\n'
echo "REMOTE_USER=$REMOTE_USER"
echo "JWT_CLAIM_roles=$JWT_CLAIM_roles"
CGI
chmod 755 "$S/cgi-bin/whoami.cgi"
# Forms on the other origin aimed at this site's pages and handlers.
cat >"$S/other/csrf.html" <<HTML
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Elsewhere</title></head>
<body><h1>Another application on this host</h1>
<form method="post" action="$BASE$APP_PATH">
  <input type="hidden" name="note" value="forged">
  <button type="submit" id="forge-post">Post to the app</button>
</form>
<form method="post" action="$BASE/auth/logout">
  <button type="submit" id="forge-logout">Sign out of the app</button>
</form>
</body></html>
HTML

chmod -R a+rX "$S/htdocs" "$S/other" "$S/cgi-bin"
