#!/usr/bin/perl
# Echo what the module handed on: identity, exported claims, and the X-*
# request headers (this script is also the backend behind ProxyPass).
# One "NAME=value" line each, values with newlines escaped so a test can
# tell a smuggled line apart from a real one.
print "Content-Type: text/plain\r\n\r\n";
for my $k (sort keys %ENV) {
    next unless $k =~ /^(?:REMOTE_USER|AUTH_TYPE|JWT_.*|HTTP_X_.*)$/;
    (my $v = $ENV{$k}) =~ s/([\\\r\n])/sprintf '\\x%02x', ord $1/ge;
    print "$k=$v\n";
}
print "END\n";
