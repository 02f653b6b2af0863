# SPDX-License-Identifier: Apache-2.0
# The browser flow, on conf-examples/sso-php-cgi.conf itself (its paths
# pointed at a temporary directory: the ES256 test key, a bcrypt user file
# from htpasswd -B, a role file, the example's login.html, PHP pages and
# CGI program), with php-fpm when it is installed. A cookie jar that
# behaves like a browser's (Path, Max-Age, deletion) follows redirects.
# - a page without cookies (Accept: text/html): 302 to the refresh path
#   with return=, refresh without a cookie 303 to the login page with
#   return=, the SSI login page carries the return address in its form
#   (no JavaScript), HTML-escaped; the form POST 303s back; PHP and CGI
#   see REMOTE_USER and JWT_CLAIM_roles; the admin area is 403 for a
#   non-admin and 200 for an admin; API clients get 401, not redirects;
# - open redirect attempts at jwt-login, jwt-refresh and through the
#   page's own address never yield a Location off this site;
# - CSRF: a cookie token on POST passes only with a same-origin Origin or
#   Sec-Fetch-Site: same-origin (403 otherwise, AH70043); a Bearer header
#   needs neither;
# - logout from the page's own form: both cookies cleared, the access
#   token and the refresh family revoked, the next visit ends at login;
# - transparent refresh: AuthJWTAccessTTL 10, AuthJWTLeeway 0, after the
#   access cookie's Max-Age the page is served through a refresh round
#   trip (302, 303, 200), also when the expired cookie is still sent.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance;
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::ECC;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use LWP::UserAgent;
use HTTP::Request;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

my $top = "$FindBin::Bin/..";
my $example = "$top/conf-examples/sso-php-cgi.conf";
my $keys = AuthJWT::Instance::keys_dir();
my $mods = AuthJWT::Instance::modules_dir();
my $pub = Crypt::PK::ECC->new("$keys/ec256.pub");
my %pw = (alice => 'alice-pw', bob => 'bob-pw');

sub slurp {
    open my $fh, '<', $_[0] or die "$_[0]: $!";
    local $/;
    return scalar <$fh>;
}
sub spew {
    my ($f, $d, $mode) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print $fh $d;
    close $fh;
    chmod $mode || 0644, $f;
}

# ------------------------------------------------- the example's files
my $aux = tempdir('ajwt-sso52-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
mkdir "$aux/$_", 0755 for qw(jwt www www/php www/php/admin www/cgi-bin);
copy("$keys/ec256.key", "$aux/jwt/sso-es256-private.pem") or die $!;
chmod 0600, "$aux/jwt/sso-es256-private.pem";
spew("$aux/jwt/sso-users.htpasswd", join '', map {
    my $l = `htpasswd -nbB $_ '$pw{$_}'`;
    die 'htpasswd failed' if $? || $l !~ /^\Q$_\E:\$2y\$/;
    $l =~ s/\n+\z/\n/;
    $l;
} sort keys %pw);
spew("$aux/jwt/sso.roles", "admin: alice\nstaff: alice bob\n");
copy("$top/conf-examples/login.html", "$aux/www/login.html") or die $!;
copy("$top/conf-examples/sso-app/php/index.php", "$aux/www/php/index.php")
    or die $!;
copy("$top/conf-examples/sso-app/php/admin/index.php",
     "$aux/www/php/admin/index.php") or die $!;
copy("$top/conf-examples/sso-app/cgi-bin/whoami.cgi",
     "$aux/www/cgi-bin/whoami.cgi") or die $!;
chmod 0644, glob("$aux/www/*.html $aux/www/php/*.php $aux/www/php/*/*.php");
chmod 0755, "$aux/www/cgi-bin/whoami.cgi";

# ------------------------------------------------- php-fpm, if installed
my ($fpm) = grep { -x } '/usr/sbin/php-fpm8.2', glob('/usr/sbin/php-fpm*');
my $fpm_pid;
if ($fpm) {
    my $user = $> == 0 ? "user = nobody\ngroup = nogroup\n" : '';
    spew("$aux/fpm.conf", <<"F");
[global]
pid = $aux/fpm.pid
error_log = $aux/fpm.log
daemonize = no
[www]
${user}listen = $aux/php.sock
listen.mode = 0666
pm = static
pm.max_children = 2
F
    $fpm_pid = fork;
    die "fork: $!" unless defined $fpm_pid;
    if (!$fpm_pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { exec $fpm, '-F', ($> == 0 ? '-R' : ()), '-y', "$aux/fpm.conf",
             "-p", $aux };
        POSIX::_exit(127);
    }
    my $end = time + 5;
    sleep 0.05 while !-S "$aux/php.sock" && time < $end;
    unless (-S "$aux/php.sock") {
        diag("php-fpm did not start: " . (eval { slurp("$aux/fpm.log") }
                                         // ''));
        kill 'TERM', $fpm_pid;
        waitpid $fpm_pid, 0;
        undef $fpm_pid;
    }
}
my $php = defined $fpm_pid;
END {
    if ($fpm_pid) {
        my $rc = $?;
        kill 'TERM', $fpm_pid;
        waitpid $fpm_pid, 0;
        $? = $rc;
    }
}

# ------------------------------------------------- the configuration
sub example_conf {
    my (%o) = @_;
    my $c = slurp($example);
    $c =~ s{/etc/apache2/jwt/}{$aux/jwt/}g;
    $c =~ s{/var/www/sso}{$aux/www}g;
    $c =~ s{/run/php/php8\.2-fpm\.sock}{$aux/php.sock}g;
    $c =~ s{/usr/lib/apache2/modules/mod_auth_jwt\.so}
           {AuthJWT::Instance::module_path()}ge;
    $c =~ s{/usr/lib/apache2/modules/}{$mods/}g;
    if ($o{ttl}) {
        $c =~ s{AuthJWTAccessTTL 900}{AuthJWTAccessTTL $o{ttl}\n    AuthJWTLeeway 0}
            or die 'no AuthJWTAccessTTL 900 in the example';
    }
    return <<"C" . $c . ($o{extra} || '');
LoadModule mime_module $mods/mod_mime.so
TypesConfig /etc/mime.types
LoadModule alias_module $mods/mod_alias.so
LoadModule dir_module $mods/mod_dir.so
LoadModule cgi_module $mods/mod_cgi.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
C
}

# A second logout location beside (not below) the refresh path, as a site
# that kept the default layout (/auth/refresh, /auth/logout) would have.
my $h = AuthJWT::Instance->new(name => 'sso52', children => 3,
    conf => example_conf(extra => <<'C'))->start;
<Location "/auth/logout">
    SetHandler jwt-logout
</Location>
C
my $origin = 'http://127.0.0.1:' . $h->port;

# ------------------------------------------------- a browser-ish client
package Browser {
    sub new {
        my ($class, $h) = @_;
        return bless { h => $h, jar => {} }, $class;
    }
    # RFC 6265 5.1.4 path-match
    sub path_match {
        my ($req, $cp) = @_;
        return 1 if $req eq $cp;
        return 0 unless index($req, $cp) == 0;
        return substr($cp, -1) eq '/' || substr($req, length $cp, 1) eq '/';
    }
    sub store {
        my ($self, $res) = @_;
        for my $sc ($res->header('Set-Cookie')) {
            my ($nv, @attrs) = split /;\s*/, $sc;
            my ($n, $v) = split /=/, $nv, 2;
            my %a = map { my ($k, $x) = split /=/, $_, 2; (lc $k => $x) }
                    @attrs;
            my $path = defined $a{path} ? $a{path} : '/';
            my $key = "$n\0$path";
            if (defined $a{'max-age'} && $a{'max-age'} <= 0) {
                delete $self->{jar}{$key};
                next;
            }
            $self->{jar}{$key} = {
                name => $n, value => $v, path => $path,
                expires => defined $a{'max-age'}
                           ? Time::HiRes::time() + $a{'max-age'} : undef,
            };
        }
    }
    sub cookie_header {
        my ($self, $path) = @_;
        $path =~ s/\?.*//;
        my $now = Time::HiRes::time();
        my @c;
        for my $k (sort keys %{ $self->{jar} }) {
            my $c = $self->{jar}{$k};
            if (defined $c->{expires} && $c->{expires} <= $now) {
                delete $self->{jar}{$k};
                next;
            }
            push @c, "$c->{name}=$c->{value}" if path_match($path, $c->{path});
        }
        return @c ? join('; ', @c) : undef;
    }
    sub cookie {
        my ($self, $name) = @_;
        $self->cookie_header('/');      # drop expired ones
        for my $c (values %{ $self->{jar} }) {
            return $c->{value} if $c->{name} eq $name;
        }
        return undef;
    }
    # One request: method, path (local), headers; cookies from the jar.
    sub send {
        my ($self, $method, $path, %o) = @_;
        my $r = HTTP::Request->new($method => $self->{h}->url($path));
        my $ck = $self->cookie_header($path);
        $r->header(Cookie => $ck) if defined $ck;
        $r->header(Accept => 'text/html,application/xhtml+xml');
        $r->header(@$_) for @{ $o{headers} || [] };
        if (defined $o{body}) {
            $r->header('Content-Type' => 'application/x-www-form-urlencoded');
            $r->content($o{body});
        }
        my $res = $self->{h}->ua->request($r);
        $self->store($res);
        return $res;
    }
    # Navigate: GET (or a form POST) and follow redirects; returns the
    # final response and the chain of [code, Location].
    sub go {
        my ($self, $method, $path, %o) = @_;
        my @chain;
        my $res;
        for (1 .. 10) {
            $res = $self->send($method, $path, %o);
            my $loc = $res->header('Location');
            push @chain, [$res->code, $loc];
            last unless $res->code =~ /^30[123]$/ && defined $loc;
            # a browser would leave the site here: stop and report
            last unless $loc =~ m{^/(?![/\\])};
            ($method, $path, %o) = ('GET', $loc);
        }
        return ($res, \@chain);
    }
}

sub codes { join ' ', map { $_->[0] } @{ $_[0] } }
sub local_ok {          # a Location a browser resolves to this site
    my $l = shift;
    return 0 unless defined $l;
    return 1 if $l =~ m{^\Q$origin\E(?:/|$)};
    return $l =~ m{^/(?![/\\])} && $l !~ /[\x00-\x20\\]/;
}
sub html_decode {
    my $s = shift;
    $s =~ s/&quot;/"/g; $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g;
    $s =~ s/&#0*39;/'/g; $s =~ s/&#x27;/'/gi; $s =~ s/&amp;/&/g;
    return $s;
}
# The login page's form: (action, {name => value})
sub parse_form {
    my $html = shift;
    my ($form) = $html =~ m{(<form\b.*?</form>)}s or return;
    my ($action) = $form =~ /action="([^"]*)"/;
    my ($method) = $form =~ /method="([^"]*)"/;
    my %f;
    while ($form =~ /<input\b([^>]*)>/g) {
        my $a = $1;
        my ($n) = $a =~ /name="([^"]*)"/ or next;
        my ($v) = $a =~ /value="([^"]*)"/;
        $f{$n} = defined $v ? html_decode($v) : '';
    }
    return (html_decode($action), lc($method || ''), \%f);
}
sub form_body { AuthJWT::Instance::form_encode(@_) }
# Log in through the login page, as a browser does.
sub login_via_page {
    my ($b, $user, $login_path) = @_;
    my $page = $b->send(GET => $login_path);
    my ($action, $method, $f) = parse_form($page->decoded_content);
    return $b->go(POST => $action, headers => [[Origin => $origin]],
                  body => form_body(username => $user,
                                    password => $pw{$user},
                                    (defined $f->{return}
                                     ? (return => $f->{return}) : ())));
}
sub user_in { $_[0]->decoded_content =~ m{id="user">([^<]*)<} ? $1 : undef }
sub roles_in { $_[0]->decoded_content =~ m{id="roles">([^<]*)<} ? $1 : undef }

# ================================================= the login round trip
my $b = Browser->new($h);
my $page = $php ? '/app/' : '/cgi/whoami.cgi';
(my $page_q = $page) =~ s{/}{%2F}g;
my $res = $b->send(GET => $page);
is($res->code, 302, "$page without cookies (text/html): 302");
is(lc($res->header('Location') // ''), lc "/auth/session?return=$page_q",
   '... to the refresh path with return=');
like($res->header('Cache-Control') || '', qr/no-store/, '... not cached');
$res = $b->send(GET => "/auth/session?return=$page_q");
is($res->code, 303, 'refresh without a cookie: 303');
is(lc($res->header('Location') // ''), lc "/login.html?return=$page_q",
   '... to the login URL with return=');
my $lp = $b->send(GET => "/login.html?return=$page_q");
is($lp->code, 200, 'login page: 200');
like($lp->header('Content-Type') || '', qr{^text/html}, '... text/html');
unlike($lp->decoded_content, qr/<script/i, '... no JavaScript');
my ($action, $method, $f) = parse_form($lp->decoded_content);
is($action, '/auth/login', 'form posts to jwt-login');
is($method, 'post', '... with POST');
ok(exists $f->{username} && exists $f->{password}, 'username and password');
is($f->{return}, $page, 'hidden return field = the page (from the query)');

$res = $b->send(GET => '/login.html');
($action, $method, $f) = parse_form($res->decoded_content);
ok(!exists $f->{return}, 'login page without return: no return field');
$res = $b->send(GET => '/login.html?x=1&return=%2Fcgi%2Fwhoami.cgi%3Fa%3D1'
                      . '%26b%3D%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E');
unlike($res->decoded_content, qr/<script|"><|\balert\(1\)<\//,
       'a hostile return is HTML-escaped on the login page');
($action, $method, $f) = parse_form($res->decoded_content);
is($f->{return}, '/cgi/whoami.cgi?a=1&b="><script>alert(1)</script>',
   '... and still posted back exactly');

my ($end, $chain) = login_via_page($b, 'alice', "/login.html?return=$page_q");
is($chain->[0][0], 303, 'login form POST: 303');
is($chain->[0][1], $page, '... to the return address');
ok($b->cookie('jwt') && $b->cookie('jwt_refresh'), 'both cookies kept');
is($end->code, 200, "$page served after login");
is(user_in($end), 'alice', '... with the user name');
is(roles_in($end), 'admin,staff', '... and the roles');

$res = $b->send(GET => '/cgi/whoami.cgi');
is($res->code, 200, 'CGI: 200');
is(user_in($res), 'alice', 'CGI sees REMOTE_USER');
is(roles_in($res), 'admin,staff', 'CGI sees JWT_CLAIM_roles');
like($res->decoded_content, qr{id="auth-type">jwt<}, 'CGI sees AUTH_TYPE');
SKIP: {
    skip 'php-fpm not available', 6 unless $php;
    $res = $b->send(GET => '/app/');
    is(user_in($res), 'alice', 'PHP sees REMOTE_USER');
    is(roles_in($res), 'admin,staff', 'PHP sees JWT_CLAIM_roles');
    $res = $b->send(GET => '/app/admin/');
    is($res->code, 200, 'admin area, alice (admin): 200');
    like($res->decoded_content, qr/Admin area/, '... the admin page');
    my $bob = Browser->new($h);
    my ($e2) = login_via_page($bob, 'bob', '/login.html?return=%2Fapp%2F');
    is(user_in($e2), 'bob', 'bob logged in through the page');
    $res = $bob->send(GET => '/app/admin/');
    is($res->code, 403, 'admin area, bob (staff): 403');
}
{
    # role gate without PHP: the same Require on a static file would do;
    # check the CGI for bob's roles instead
    my $bob = Browser->new($h);
    my ($e2) = login_via_page($bob, 'bob',
                              '/login.html?return=%2Fcgi%2Fwhoami.cgi');
    is(roles_in($e2), 'staff', "bob's roles at the CGI: staff");
}

# API clients: no redirect
$res = $h->get($page, headers => [[Accept => 'application/json']]);
is($res->code, 401, 'no token, Accept: application/json: 401');
ok(!$res->header('Location'), '... no redirect');
like($res->header('WWW-Authenticate') || '', qr/^Bearer realm="sso"/,
     '... a Bearer challenge');
is($h->request(POST => $page, headers => [[Accept => 'text/html']])->code,
   401, 'no token, POST text/html: 401, no redirect');
$res = $h->get($page, headers => [[Accept => 'text/html'],
                                  [Cookie => 'jwt=not.a.token']]);
is($res->code, 302, 'a broken access cookie (text/html): 302 as well');

# ================================================= open redirects
my @evil = ('//evil.com', '//evil.com/x', 'https://evil.com',
            'http://evil.com/', '/\\evil.com', '\\\\evil.com',
            'javascript:alert(1)', '/%2Fevil.com', '/%5Cevil.com',
            "/\t/evil.com", ' //evil.com', 'evil.com', '/%0d%0aX:y',
            "//evil.com\@$origin", "/\x{0b}/evil.com");
for my $ret (@evil) {
    (my $show = $ret) =~ s/([^\x21-\x7e])/sprintf '\\x%02x', ord $1/ge;
    my $x = Browser->new($h);
    $res = $x->send(POST => '/auth/login', headers => [[Origin => $origin]],
                    body => form_body(username => 'alice',
                                      password => $pw{alice},
                                      return => $ret));
    my $loc = $res->header('Location');
    ok(($res->code == 303 && local_ok($loc))
       || ($res->code == 400 && !defined $loc),
       "login return=$show: 303 to a local path or 400 ("
       . $res->code . ' ' . ($loc // 'no Location') . ')');
    (my $q = $ret) =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge;
    $res = $x->send(GET => "/auth/session?return=$q");
    $loc = $res->header('Location');
    ok($res->code == 303 && local_ok($loc),
       "refresh return=$show: 303 to a local path (" . ($loc // 'none') . ')');
    $res = Browser->new($h)->send(GET => "/auth/session?return=$q");
    $loc = $res->header('Location');
    ok($res->code == 303 && local_ok($loc) && $loc !~ /evil/,
       "refresh without cookie return=$show: login page, no evil return");
}
($res, $chain) = Browser->new($h)->go(GET => '//evil.com/');
ok(!grep({ defined $_->[1] && !local_ok($_->[1]) } @$chain),
   'GET //evil.com/ on this site: every Location local ('
   . join(', ', map { $_->[1] // '-' } @$chain) . ')');

# ================================================= CSRF
my $mark = $h->log_mark;
my @csrf = (
    [[[Origin => 'http://evil.example']], 403, 'Origin evil.example'],
    [[], 403, 'no Origin, no Sec-Fetch-Site'],
    [[[Origin => 'null']], 403, 'Origin null'],
    [[[Origin => 'http://127.0.0.1:1']], 403, 'Origin other port'],
    [[[Origin => 'https://127.0.0.1:' . $h->port]], 403, 'Origin https'],
    [[['Sec-Fetch-Site' => 'cross-site']], 403, 'Sec-Fetch-Site cross-site'],
    [[['Sec-Fetch-Site' => 'same-site']], 403, 'Sec-Fetch-Site same-site'],
    [[[Origin => $origin]], 200, 'same Origin'],
    [[['Sec-Fetch-Site' => 'same-origin']], 200,
     'Sec-Fetch-Site same-origin'],
);
for my $c (@csrf) {
    $res = $b->send(POST => '/cgi/whoami.cgi', headers => $c->[0],
                    body => 'x=1');
    is($res->code, $c->[1], "POST with the access cookie, $c->[2]: $c->[1]");
}
like($h->log_since($mark), qr/AH70043/, 'cross-site cookie use logged');
like($b->send(POST => '/cgi/whoami.cgi', headers => [[Origin => $origin]],
              body => 'x=1')->decoded_content, qr{id="method">POST<},
     'the same-origin POST reached the CGI');
$res = $h->request(POST => '/cgi/whoami.cgi', token => $b->cookie('jwt'),
                   type => 'application/x-www-form-urlencoded', body => 'x=1');
is($res->code, 200, 'POST with a Bearer header and no Origin: 200');
for my $m (qw(PUT DELETE PATCH)) {
    $res = $b->send($m => '/cgi/whoami.cgi',
                    headers => [[Origin => 'http://evil.example']]);
    is($res->code, 403, "$m with the cookie from evil.example: 403");
}

# ================================================= logout
my $old_at = $b->cookie('jwt');
my $old_rt = $b->cookie('jwt_refresh');
$res = $b->send(POST => '/auth/session/logout',
                headers => [[Origin => $origin]]);
is($res->code, 303, 'logout from the page form: 303');
is($res->header('Location'), '/login.html', '... to the login page');
ok(!$b->cookie('jwt') && !$b->cookie('jwt_refresh'),
   '... both cookies gone from the jar');
is($h->get('/cgi/whoami.cgi', token => $old_at)->code, 401,
   'the old access token is revoked');
is($h->request(POST => '/auth/session',
               headers => [[Cookie => "jwt_refresh=$old_rt"]])->code, 401,
   'the old refresh token is revoked (its family)');
($res, $chain) = $b->go(GET => $page);
is(codes($chain), '302 303 200', 'the next visit: refresh, then login');
like($res->decoded_content, qr/<form[^>]*action="\/auth\/login"/,
     '... ends on the login page');

# logout at a path the refresh cookie does not reach (/auth/logout beside
# /auth/session): the browser does not send the refresh cookie there
{
    my $x = Browser->new($h);
    login_via_page($x, 'bob', '/login.html?return=%2Fcgi%2Fwhoami.cgi');
    my ($xa, $xr) = ($x->cookie('jwt'), $x->cookie('jwt_refresh'));
    $res = $x->send(POST => '/auth/logout', headers => [[Origin => $origin]]);
    is($res->code, 303, 'logout at /auth/logout: 303');
    is($h->get('/cgi/whoami.cgi', token => $xa)->code, 401,
       '... the access token revoked');
    is($h->request(POST => '/auth/session',
                   headers => [[Cookie => "jwt_refresh=$xr"]])->code,
       401, '... and the refresh family revoked (through the access '
       . 'token\'s sid)');
}

$h->stop;

# ================================================= transparent refresh
my $s = AuthJWT::Instance->new(name => 'sso52s', children => 2,
                               conf => example_conf(ttl => 10))->start;
$origin = 'http://127.0.0.1:' . $s->port;
my $t = Browser->new($s);
($res) = login_via_page($t, 'alice', '/login.html?return=%2Fcgi%2Fwhoami.cgi');
is(user_in($res), 'alice', 'short TTL: logged in');
my $rt1 = $t->cookie('jwt_refresh');
my $at1 = $t->cookie('jwt');
(undef, my $cl) = eval { decode_jwt(token => $at1, key => $pub,
                                    decode_header => 1) };
is(($cl->{exp} // 0) - ($cl->{iat} // 0), 10, 'access token lives 10 s');
sleep 10.6;
ok(!$t->cookie('jwt'), 'the access cookie is past its Max-Age');
($res, $chain) = $t->go(GET => '/cgi/whoami.cgi');
is(codes($chain), '302 303 200',
   'expired session: through jwt-refresh and back');
is(lc($chain->[0][1] // ''), '/auth/session?return=%2fcgi%2fwhoami.cgi',
   '... 302 to the refresh path');
is($chain->[1][1], '/cgi/whoami.cgi', '... 303 back to the page');
is(user_in($res), 'alice', '... the page served to alice');
ok($t->cookie('jwt') && $t->cookie('jwt') ne $at1, 'a new access cookie');
ok($t->cookie('jwt_refresh') && $t->cookie('jwt_refresh') ne $rt1,
   'a rotated refresh cookie');
# the browser still sends the expired access token (clock skew, a jar
# that kept it): the same round trip
my $rt2 = $t->cookie('jwt_refresh');
my $r = HTTP::Request->new(GET => $s->url('/cgi/whoami.cgi'));
$r->header(Accept => 'text/html');
$r->header(Cookie => "jwt=$at1");
$res = $s->ua->request($r);
is($res->code, 302, 'the expired access cookie sent: 302 to refresh');
$r = HTTP::Request->new(GET => $s->url($res->header('Location') || '/'));
$r->header(Cookie => "jwt=$at1; jwt_refresh=$rt2");
$res = $s->ua->request($r);
is($res->code, 303, '... refresh: 303 back');
my ($at3) = map { /^jwt=([^;]+)/ ? $1 : () } $res->header('Set-Cookie');
is($s->get('/cgi/whoami.cgi', headers => [[Cookie => "jwt=$at3"]])->code,
   200, '... the new access cookie is served');
# an unsafe method is not redirected
$res = $s->request(POST => '/cgi/whoami.cgi',
                   headers => [[Cookie => "jwt=$at1"], [Origin => $origin],
                               [Accept => 'text/html']]);
is($res->code, 401, 'POST with the expired cookie: 401 (no redirect)');
$s->stop;

done_testing();
