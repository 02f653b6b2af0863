# SPDX-License-Identifier: Apache-2.0
# Registered claims: iss, aud, exp/nbf/iat with leeway, max age, required
# claims, typ. "Just inside" and "just outside" keep a 5 s margin so that
# a slow request cannot flip the verdict.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

sub tok { mint(alg => 'RS256', claims => { @_ }) }
sub good { my ($n, $url, $t) = @_; check_ok($n, sub { GET_($url, bearer($t)) }) }
sub bad {
    my ($n, $url, $t, $tag) = @_;
    check_deny($n, sub { GET_($url, bearer($t)) }, tag => $tag, token => $t);
}

my $ia = '/p/issaud';
good('iss and aud string', $ia,
     tok(iss => 'https://issuer.example', aud => 'api://ajwt'));
good('second issuer, aud array', $ia,
     tok(iss => 'https://other.example', aud => ['x', 'api://ajwt']));
bad('wrong iss', $ia, tok(iss => 'https://evil.example', aud => 'api://ajwt'),
     'AH70013');
bad('iss prefix only', $ia,
     tok(iss => 'https://issuer.example.evil', aud => 'api://ajwt'),
     'AH70013');
bad('missing iss', $ia, tok(aud => 'api://ajwt'), 'AH70013');
bad('wrong aud', $ia, tok(iss => 'https://issuer.example', aud => 'api://x'),
     'AH70014');
bad('aud array without ours', $ia,
     tok(iss => 'https://issuer.example', aud => ['a', 'b']), 'AH70014');
bad('missing aud', $ia, tok(iss => 'https://issuer.example'), 'AH70014');

# Default leeway 30 s.
my $d = '/p/rsa-pem';
good('exp 20 s ago, default leeway 30', $d, tok(exp => NOW - 20));
bad('exp 40 s ago, default leeway 30', $d, tok(exp => NOW - 40), 'AH70010');
# AuthJWTLeeway 10.
my $l = '/p/leeway';
good('exp 5 s ago, leeway 10', $l, tok(exp => NOW - 5));
bad('exp 15 s ago, leeway 10', $l, tok(exp => NOW - 15), 'AH70010');
good('nbf 5 s ahead, leeway 10', $l, tok(nbf => NOW + 5));
bad('nbf 15 s ahead, leeway 10', $l, tok(nbf => NOW + 15), 'AH70011');
good('iat 5 s ahead, leeway 10', $l, tok(iat => NOW + 5));
bad('iat 15 s ahead, leeway 10', $l, tok(iat => NOW + 15), 'AH70011');
bad('exp missing', $l, tok(exp => undef), 'AH70009');
# AuthJWTMaxAge 60 with leeway 0.
my $m = '/p/maxage';
good('iat 55 s old, max age 60', $m, tok(iat => NOW - 55));
bad('iat 65 s old, max age 60', $m, tok(iat => NOW - 65), 'AH70012');
bad('no iat under a max age', $m, tok(iat => undef), 'AH70012');
bad('exp 1 s ago, leeway 0', $m, tok(exp => NOW - 1), 'AH70010');
# A token accepted once is refused once it expires (no verify cache serves
# it past exp).
{
    my $t = tok(exp => NOW + 2);
    good('short-lived token, fresh', $m, $t);
    sleep 3;
    bad('the same token after exp (leeway 0)', $m, $t, 'AH70010');
}
# AuthJWTRequireClaim jti.
good('required jti present', '/p/reqclaim', tok(jti => 'j-1'));
bad('required jti missing', '/p/reqclaim', tok(), 'AH70009');

# typ: JWT or at+jwt, any case, optional application/; nothing else.
for my $typ ('JWT', 'jwt', 'at+jwt', 'application/at+JWT', 'application/jwt') {
    good("typ $typ", $d, mint(alg => 'RS256', header => { typ => $typ }));
}
for my $typ ('refresh+jwt', 'JOSE', 'xJWT') {
    bad("typ $typ", $d, mint(alg => 'RS256', header => { typ => $typ }),
         'AH70006');
}
# The user claim is required: no sub, no REMOTE_USER, no entry.
bad('no sub', $d, tok(sub => undef), 'AH70009');

done_testing;
