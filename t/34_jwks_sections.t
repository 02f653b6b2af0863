# SPDX-License-Identifier: Apache-2.0
# Key sources across configuration sections: a sub-location inherits its
# parent's JWKS URL, or replaces it with its own; static keys (AuthJWTKey)
# count together with the fetched ones and keep working while the URL has
# given nothing yet; tokens without a kid; one URL in two sections is
# fetched once.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir make_ca make_cert slurp jwk jwks_json
                         free_port);

my $top = "$FindBin::Bin/..";
plan skip_all => 'AuthJWTJwksURL not declared by mod_auth_jwt*.c yet'
    unless join("", map { slurp($_) } glob("$top/mod_auth_jwt*.c")) =~ /"AuthJWTJwksURL"/;

my $dir = tmpdir();
my $k = keys_dir();
my $ca = make_ca($dir, 'ca');
my $idp = AuthJWT::Provider->idp(cert => make_cert($dir, 'idp', $ca));
ok($idp->start, 'HTTPS provider starts') or diag($idp->stderr);

my %jwk = (
    A => jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
    B => jwk("$k/rsa2.pub", kid => 'B', use => 'sig', alg => 'RS256'),
    E => jwk("$k/ec256.pub", kid => 'E', use => 'sig', alg => 'ES256'),
);
my %signer = (A => ['RS256', 'rsa'], B => ['RS256', 'rsa2'],
              E => ['ES256', 'ec256'], S => ['ES384', 'ec384']);
sub tok {
    my ($kid, %o) = @_;
    my ($alg, $key) = @{ $signer{$kid} };
    return mint(alg => $alg, key => $key,
                header => { $o{nokid} ? () : (kid => $kid), typ => 'JWT' });
}

$idp->set('one.json', body => jwks_json($jwk{A}));
$idp->set('two.json', body => jwks_json($jwk{B}));
$idp->set('pair.json', body => jwks_json($jwk{A}, $jwk{E}));
my $away = 'https://127.0.0.1:' . free_port() . '/keys.json';

my $CA = "AuthJWTJwksCA $ca->{crt}";
my $m = $idp->access_mark;
my $h = AuthJWT::Provider->module(conf => [
    # parent with URL one; a child inheriting it; a child replacing it
    '<Location "/p/">', 'AuthType jwt', 'AuthName p',
    'AuthJWTJwksURL ' . $idp->url('/one.json'), $CA,
    'Require valid-jwt', 'AuthzSendForbiddenOnFailure On', '</Location>',
    '<Location "/p/inherit/">', 'Require valid-jwt', '</Location>',
    '<Location "/p/own/">',
    'AuthJWTJwksURL ' . $idp->url('/two.json'), $CA,
    'Require valid-jwt', '</Location>',
    # the same URL as /p/ again: one fetch serves both
    '<Location "/again/">', 'AuthType jwt', 'AuthName again',
    'AuthJWTJwksURL ' . $idp->url('/one.json'), $CA,
    'Require valid-jwt', 'AuthzSendForbiddenOnFailure On', '</Location>',
    # a static key next to an unreachable URL
    '<Location "/mixed/">', 'AuthType jwt', 'AuthName mixed',
    "AuthJWTJwksURL $away", $CA, "AuthJWTKey $k/ec384.pub S",
    'Require valid-jwt', 'AuthzSendForbiddenOnFailure On', '</Location>',
    # a static key next to a reachable URL
    '<Location "/both/">', 'AuthType jwt', 'AuthName both',
    'AuthJWTJwksURL ' . $idp->url('/pair.json'), $CA,
    "AuthJWTKey $k/ec384.pub S",
    'Require valid-jwt', 'AuthzSendForbiddenOnFailure On', '</Location>',
]);
$h->doc("$_/ok.txt") for qw(p p/inherit p/own again mixed both);
ok($h->start, 'httpd starts') or diag($h->stderr . $h->error_log);

sub code { $h->get("/$_[0]/ok.txt", $_[1])->code }

is($idp->hits('/one.json', $m), 1, 'one URL in two sections: one fetch');
is(code('p', tok('A')), 200, 'parent: kid A of its URL');
is(code('p', tok('B')), 401, 'parent: kid B (the child\'s URL) refused');
is(code('p/inherit', tok('A')), 200, 'inheriting child: kid A');
is(code('p/own', tok('B')), 200, 'child with its own URL: kid B');
is(code('p/own', tok('A')), 401,
   'child with its own URL: the parent\'s kid A refused (replaced)');
is(code('again', tok('A')), 200, 'same URL elsewhere: kid A');
{
    # one token string: accepted (and cached) where its key is, refused
    # where it is not, in either order
    my $tb = tok('B');
    is(code('p/own', $tb), 200, 'cache: token B accepted under /p/own/');
    is(code('p', $tb), 401, 'cache: the same token refused under /p/');
    is(code('p/own', $tb), 200, 'cache: and accepted under /p/own/ again');
    my $ta = tok('A');
    is(code('p', $ta), 200, 'cache: token A accepted under /p/');
    is(code('p/own', $ta), 401, 'cache: the same token refused under /p/own/');
}

is(code('mixed', tok('S')), 200,
   'static key beside an URL that gave nothing: its tokens work');
{
    my $r = $h->get('/mixed/ok.txt', tok('A'));
    is($r->code, 503, 'static beside nothing fetched: other kid 503');
    like($r->header('Retry-After') // '', qr/^\d+$/, '... with Retry-After');
}
is(code('both', tok('S')), 200, 'static and fetched: static kid S');
is(code('both', tok('A')), 200, 'static and fetched: fetched RSA kid A');
is(code('both', tok('E')), 200, 'static and fetched: fetched EC kid E');

# Tokens without a kid: the keys of the right type are tried; a token
# without a kid never makes the module fetch.
$m = $idp->access_mark;
is(code('both', tok('E', nokid => 1)), 200,
   'no kid, ES256: the one EC key of its curve verifies it');
is(code('p', tok('A', nokid => 1)), 200, 'no kid, one RSA key: 200');
is(code('p', tok('B', nokid => 1)), 401, 'no kid, wrong RSA key: 401');
is($idp->hits('/one.json', $m) + $idp->hits('/pair.json', $m), 0,
   'no kid: nothing fetched');

$h->stop;

# A graceful restart keeps fetched keys in shared memory. When the new
# configuration names other URLs, or the same ones in another order, each
# location must still get the keys of its own URL, never another's.
{
    $idp->set('three.json', body => jwks_json($jwk{E}));
    my $sect = sub {
        my ($loc, $name) = @_;
        return ("<Location \"/$loc/\">", 'AuthType jwt', "AuthName $loc",
                'AuthJWTJwksURL ' . $idp->url("/$name"), $CA,
                'Require valid-jwt', '</Location>');
    };
    my $g = AuthJWT::Provider->module(conf => [
        $sect->('a', 'one.json'), $sect->('b', 'two.json')]);
    $g->doc("$_/ok.txt") for qw(a b);
    ok($g->start, 'graceful: httpd starts') or diag($g->error_log);
    my $gc = sub { $g->get("/$_[0]/ok.txt", $_[1])->code };
    is($gc->('a', tok('A')) . ' ' . $gc->('b', tok('B')), '200 200',
       'graceful: /a/ has one.json (A), /b/ two.json (B)');

    ok($g->graceful([$sect->('b', 'two.json'), $sect->('a', 'one.json')]),
       'graceful: restarted with the sections in the other order');
    my @r = map { $gc->('a', tok('A')) . ' ' . $gc->('b', tok('B')) . ' '
                  . $gc->('a', tok('B')) . ' ' . $gc->('b', tok('A')) } 1 .. 3;
    is("@r", join(' ', ('200 200 401 401') x 3),
       'graceful, order swapped: each location keeps its own keys');

    ok($g->graceful([$sect->('a', 'three.json'), $sect->('b', 'two.json')]),
       'graceful: restarted with /a/ on another URL');
    @r = map { $gc->('a', tok('E')) . ' ' . $gc->('a', tok('A')) . ' '
               . $gc->('b', tok('B')) } 1 .. 3;
    is("@r", join(' ', ('200 401 200') x 3),
       'graceful, URL changed: /a/ has three.json\'s keys, not one.json\'s');

    # Provider away, sections reordered again: the keys of both URLs are
    # in shared memory, so both locations should keep working.
    $idp->stop;
    ok($g->graceful([$sect->('b', 'two.json'), $sect->('a', 'three.json')]),
       'graceful: reordered with the provider away');
    @r = map { $gc->('a', tok('E')) . ' ' . $gc->('b', tok('B')) } 1 .. 2;
    is("@r", join(' ', ('200 200') x 2),
       'graceful, reordered, provider away: each URL keeps its keys');
    $g->stop;
    ok($idp->start, 'provider up again');
}

# AuthJWTJwksCA at server level serves a URL in a section without its own;
# without it (the system CAs), the private CA's certificate is refused.
{
    $idp->set('srv.json', body => jwks_json($jwk{A}));
    my $loc = ['<Location "/s/">', 'AuthType jwt', 'AuthName s',
               'AuthJWTJwksURL ' . $idp->url('/srv.json'),
               'Require valid-jwt', '</Location>'];
    my $with = AuthJWT::Provider->module(conf => [$CA, @$loc]);
    $with->doc('s/ok.txt');
    ok($with->start, 'server-level CA: httpd starts') or diag($with->error_log);
    is($with->get('/s/ok.txt', tok('A'))->code, 200,
       'server-level AuthJWTJwksCA: the Location\'s URL is fetched and trusted');
    $with->stop;
    my $without = AuthJWT::Provider->module(conf => [@$loc]);
    $without->doc('s/ok.txt');
    ok($without->start, 'no CA: httpd starts (keys later)')
        or diag($without->error_log);
    is($without->get('/s/ok.txt', tok('A'))->code, 503,
       'no AuthJWTJwksCA: the private CA is not trusted, no keys (503)');
    like($without->error_log, qr/AH70038.*srv\.json/,
         'no AuthJWTJwksCA: the failed first fetch is logged');
    $without->stop;

    # One URL is one fetch for every server naming it: a virtual host
    # whose server-level CA differs from the main server's is refused at
    # start-up, rather than one of the two CAs silently ignored.
    my $vport = free_port();
    my $clash = AuthJWT::Provider->module(conf => [$CA, @$loc,
        "Listen 127.0.0.1:$vport", "<VirtualHost 127.0.0.1:$vport>",
        'ServerName other.example',
        'AuthJWTJwksCA /etc/ssl/certs/ca-certificates.crt', @$loc,
        '</VirtualHost>']);
    ok(!$clash->start, 'two servers, two CAs for one URL: no start-up');
    like($clash->error_log . $clash->stderr,
         qr/AH70054: AuthJWTJwksURL \S*srv\.json: the servers naming it have different AuthJWTJwksCA/,
         '... and the log says which URL and why');
    $clash->stop;
}

$idp->stop;
done_testing;
