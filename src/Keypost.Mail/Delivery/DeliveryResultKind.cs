namespace Keypost.Mail.Delivery;

internal enum DeliveryResultKind
{
    Delivered,
    Temporary,
    Permanent,
}
