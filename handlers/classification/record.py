"""A complete answer becomes evidence: the classification record, its obligations and the advice."""

from __future__ import annotations

from cards.render import Trusted, coerce_language, render_message
from handlers.classification.card import label
from handlers.context import HandlerContext
from handlers.directory import managers_of
from handlers.inbound import UserId
from handlers.reminders.reopen import reopen_for_changed_flow
from handlers.rules.active import current_pack
from handlers.rules.answers import ClassificationAnswer
from handlers.rules.evaluate import advice, evaluate
from storage import classifications
from storage.models import ClassificationPrompt, SharedFile


async def record_classification(ctx: HandlerContext, prompt: ClassificationPrompt, shared: SharedFile) -> None:
    """Record the answer, hand its obligations on to the register, and tell the sharer what follows."""
    assert prompt.level and prompt.personal_data and prompt.destination, "only complete answers are recorded"
    pack = await current_pack(ctx.session)
    answer = ClassificationAnswer(prompt.level, prompt.personal_data, prompt.destination)
    before = await classifications.previous_classification(ctx.session, shared)
    evaluation = evaluate(pack, answer)
    flow = [o.id for o in evaluation.flow]
    org = [o.id for o in evaluation.org]
    record = await classifications.add_classification(
        ctx.session, prompt_id=prompt.id, file_id=shared.id, level=answer.level, personal_data=answer.personal_data,
        destination=answer.destination, reason=prompt.reason, classified_by=prompt.asked_user,
        classified_at=ctx.now, rules_version=pack.version, obligation_ids=flow + org,
    )
    managers = await managers_of(ctx.session, prompt.asked_user)
    owner = managers[0] if managers else None
    for obligation_id in flow:
        await classifications.record_obligation(
            ctx.session, obligation_id=obligation_id, scope="flow", classification_id=record.id,
            dedup_key=f"flow:{record.id}:{obligation_id}", suggested_owner=owner,
            details={"file": shared.file_name, "destination": answer.destination, "sharer": prompt.asked_user,
                     "classification": record.id, "fileId": shared.id},
            at=ctx.now)
    for obligation_id in org:
        await classifications.record_obligation(
            ctx.session, obligation_id=obligation_id, scope="org", classification_id=record.id,
            dedup_key=f"org:{obligation_id}", suggested_owner=None,
            details={"firstFile": shared.file_name}, at=ctx.now)
    await ctx.record(prompt.asked_user, "classification.recorded", f"file:{shared.id}", {
        "classification": record.id, "level": answer.level, "personalData": answer.personal_data,
        "destination": answer.destination, "reason": prompt.reason, "obligations": flow + org,
        "rulesVersion": pack.version, "sha256": shared.sha256, "dingtalkFileId": shared.dingtalk_file_id,
    })
    if before is not None:
        await reopen_for_changed_flow(ctx, before, record)
    language = coerce_language(prompt.language)
    done = render_message(
        "classify_done", language, file_name=shared.file_name,
        level=label(pack, "level", answer.level, language),
        personal_data=label(pack, "personal_data", answer.personal_data, language),
        destination=label(pack, "destination", answer.destination, language),
        advice=Trusted(advice(evaluation, language)),
    )
    await ctx.send_to_user(UserId(prompt.asked_user), done)
